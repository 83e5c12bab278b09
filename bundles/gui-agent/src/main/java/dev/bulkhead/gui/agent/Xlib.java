package dev.bulkhead.gui.agent;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.platform.unix.X11;
import com.sun.jna.ptr.IntByReference;

/** The Xlib calls jna-platform's {@link X11} does not bind. */
interface Xlib extends Library {
    Xlib INSTANCE = Native.load("X11", Xlib.class);

    int Z_PIXMAP = 2;
    int REVERT_TO_PARENT = 2;

    /** An {@code XImage*}, or null when the window is not viewable. */
    Pointer XGetImage(X11.Display display, X11.Window drawable, int x, int y, int width, int height, NativeLong planeMask,
            int format);

    int XGetInputFocus(X11.Display display, X11.WindowByReference focus, IntByReference revertTo);

    int XSetInputFocus(X11.Display display, X11.Window window, int revertTo, NativeLong time);
}
