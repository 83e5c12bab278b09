package dev.bulkhead.bench.x11;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;

/** The few Xlib calls the bench's X clients make; XIDs and C longs as Java longs (LP64). */
interface Xlib extends Library {
    Xlib X = Native.load("X11", Xlib.class);

    long KEY_PRESS_MASK = 1L;
    long STRUCTURE_NOTIFY_MASK = 1L << 17;
    int KEY_PRESS = 2;
    int MAP_NOTIFY = 19;
    int Z_PIXMAP = 2;
    long ALL_PLANES = -1L;
    /** sizeof(XEvent): a union padded to 24 longs. */
    int EVENT_SIZE = 24 * 8;

    Pointer XOpenDisplay(String name);

    long XDefaultRootWindow(Pointer display);

    long XCreateSimpleWindow(Pointer display, long parent, int x, int y, int width, int height, int borderWidth, long border,
            long background);

    int XStoreName(Pointer display, long window, String name);

    int XSelectInput(Pointer display, long window, long mask);

    int XMapWindow(Pointer display, long window);

    int XNextEvent(Pointer display, Pointer event);

    /** The key's symbol in the group of its event, without modifiers. */
    long XLookupKeysym(Pointer keyEvent, int index);

    Pointer XCreateGC(Pointer display, long drawable, long valueMask, Pointer values);

    int XSetForeground(Pointer display, Pointer gc, long pixel);

    int XFillRectangle(Pointer display, long drawable, Pointer gc, int x, int y, int width, int height);

    int XSync(Pointer display, int discard);

    /** An {@code XImage*}, or null when the area is not viewable. */
    Pointer XGetImage(Pointer display, long drawable, int x, int y, int width, int height, long planeMask, int format);

    long XGetPixel(Pointer image, int x, int y);

    int XDestroyImage(Pointer image);

    int XGetGeometry(Pointer display, long drawable, LongByReference root, IntByReference x, IntByReference y,
            IntByReference width, IntByReference height, IntByReference border, IntByReference depth);

    /** Opens the display named by {@code DISPLAY}, or fails saying so. */
    static Pointer open() {
        Pointer display = X.XOpenDisplay(null);
        if (display == null) {
            throw new IllegalStateException("cannot open the X display " + System.getenv("DISPLAY"));
        }
        return display;
    }

    /** A top-level window of this size named {@code name}, mapped, once the server says it is. */
    static long mappedWindow(Pointer display, String name, int width, int height, long events) {
        long window = X.XCreateSimpleWindow(display, X.XDefaultRootWindow(display), 0, 0, width, height, 0, 0, 0);
        X.XStoreName(display, window, name);
        X.XSelectInput(display, window, events | STRUCTURE_NOTIFY_MASK);
        X.XMapWindow(display, window);
        try (com.sun.jna.Memory event = new com.sun.jna.Memory(EVENT_SIZE)) {
            do {
                X.XNextEvent(display, event);
            } while (event.getInt(0) != MAP_NOTIFY);
        }
        return window;
    }
}
