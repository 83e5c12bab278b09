package dev.bulkhead.gui.agent;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.platform.unix.X11;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

/** The Xlib calls jna-platform's {@link X11} does not bind. */
interface Xlib extends Library {
    Xlib INSTANCE = Native.load("X11", Xlib.class);

    int Z_PIXMAP = 2;
    int REVERT_TO_PARENT = 2;

    /** An {@code XImage*}, or null when the window is not viewable. */
    Pointer XGetImage(X11.Display display, X11.Window drawable, int x, int y, int width, int height, NativeLong planeMask,
            int format);

    int XConvertSelection(X11.Display display, X11.Atom selection, X11.Atom target, X11.Atom property, X11.Window requestor,
            NativeLong time);

    int XSetSelectionOwner(X11.Display display, X11.Atom selection, X11.Window owner, NativeLong time);

    X11.Window XGetSelectionOwner(X11.Display display, X11.Atom selection);

    /** XGetWindowProperty with XIDs and C longs as Java longs (LP64). */
    int XGetWindowProperty(X11.Display display, long window, long property, long offset, long length, int delete,
            long requestedType, LongByReference actualType, IntByReference actualFormat, LongByReference items,
            LongByReference bytesAfter, PointerByReference data);

    int XGetInputFocus(X11.Display display, X11.WindowByReference focus, IntByReference revertTo);

    int XSetInputFocus(X11.Display display, X11.Window window, int revertTo, NativeLong time);

    /** The file descriptor of the connection to the X server, to wait on with poll. */
    int XConnectionNumber(X11.Display display);
}
