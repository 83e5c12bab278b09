package dev.bulkhead.gui.agent;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.platform.unix.X11;
import com.sun.jna.ptr.IntByReference;

/**
 * libXdamage, which jna-platform does not bind: the X server reports where a window's pixels
 * changed, so the agent reads and sends only those, and only when they change.
 */
interface Xdamage extends Library {
    Xdamage INSTANCE = Native.load("Xdamage", Xdamage.class);

    /** An event each time the bounding box of a window's damage since the last subtract grows; it carries that box. */
    int REPORT_BOUNDING_BOX = 2;
    /** DamageNotify, counted from the extension's first event. */
    int NOTIFY = 0;
    /** No region: subtracting with it as repair clears all damage. */
    NativeLong NONE = new NativeLong(0);

    boolean XDamageQueryExtension(X11.Display display, IntByReference eventBase, IntByReference errorBase);

    /** A Damage XID that reports drawing into {@code drawable} and the windows inside it. */
    NativeLong XDamageCreate(X11.Display display, X11.Window drawable, int level);

    void XDamageDestroy(X11.Display display, NativeLong damage);

    void XDamageSubtract(X11.Display display, NativeLong damage, NativeLong repair, NativeLong parts);
}
