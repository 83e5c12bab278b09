package dev.bulkhead.gui.agent;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.platform.unix.X11;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

import dev.bulkhead.gui.protocol.GuiLimits;
import dev.bulkhead.gui.protocol.GuiMessage;
import dev.bulkhead.gui.protocol.MessageWriter;

/**
 * The qube's X server as dom0 sees it. One thread makes every X call (Xlib is not thread-safe by
 * default): it scans the root window's children, tells dom0 what appeared, changed, or went, sends
 * the rows of pixels that changed since the last scan, injects dom0's input with XTest, and
 * answers dom0's clipboard requests and pastes ({@link XClipboard}).
 */
final class XWindows {
    private static final X11 X = X11.INSTANCE;
    private static final X11.XTest XTEST = X11.XTest.INSTANCE;
    private static final long SCAN_MILLIS = 40;
    private static final int CLIENT_MESSAGE = 33;

    /** A viewable top-level window as last sent to dom0. */
    private static final class Shown {
        int x;
        int y;
        int width;
        int height;
        String title;
        int[] pixels = new int[0];
    }

    private final X11.Display display;
    private final X11.Window root;
    private final MessageWriter out;
    private final BlockingQueue<GuiMessage> fromDom0;
    private final Map<Integer, Shown> shown = new HashMap<>();
    private final XClipboard clipboard;
    // Windows vanish between a scan and the calls about them; those errors are expected, not fatal.
    private final X11.XErrorHandler ignoreErrors = (d, e) -> 0;

    XWindows(String displayName, MessageWriter out, BlockingQueue<GuiMessage> fromDom0) {
        this.display = X.XOpenDisplay(displayName);
        if (display == null) {
            throw new IllegalStateException("cannot open the qube's X display " + displayName);
        }
        X.XSetErrorHandler(ignoreErrors);
        this.root = X.XDefaultRootWindow(display);
        this.out = out;
        this.fromDom0 = fromDom0;
        this.clipboard = new XClipboard(display, root, out);
    }

    /** Serves until {@code connected} turns false. */
    void run(BooleanSupplier connected) throws IOException, InterruptedException {
        X11.XEvent event = new X11.XEvent();
        while (connected.getAsBoolean()) {
            while (X.XPending(display) > 0) {
                X.XNextEvent(display, event);
                clipboard.handle(event);
            }
            scan();
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SCAN_MILLIS);
            for (long left = SCAN_MILLIS; left > 0; left = TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())) {
                GuiMessage m = fromDom0.poll(left, TimeUnit.MILLISECONDS);
                if (m != null) {
                    inject(m);
                }
            }
        }
    }

    private void scan() throws IOException {
        Set<Integer> seen = new HashSet<>();
        for (X11.Window w : children()) {
            X11.XWindowAttributes a = new X11.XWindowAttributes();
            // InputOnly windows (class 2) have no pixels; only viewable windows (map state 2) are shown.
            if (X.XGetWindowAttributes(display, w, a) == 0 || a.c_class == 2 || a.map_state != 2) {
                continue;
            }
            int id = w.intValue();
            seen.add(id);
            int width = Math.min(a.width, GuiLimits.MAX_WIDTH);
            int height = Math.min(a.height, GuiLimits.MAX_HEIGHT);
            int x = clamp(a.x);
            int y = clamp(a.y);
            Shown s = shown.get(id);
            if (s == null && shown.size() >= GuiLimits.MAX_WINDOWS) {
                // dom0 ends the whole GUI of a qube that shows more; the windows beyond stay unseen instead.
                continue;
            }
            if (s == null) {
                s = new Shown();
                s.x = x;
                s.y = y;
                s.width = width;
                s.height = height;
                shown.put(id, s);
                out.write(new GuiMessage.Create(id, x, y, width, height, 0, a.override_redirect));
                out.write(new GuiMessage.Map(id, a.override_redirect));
            } else if (s.x != x || s.y != y || s.width != width || s.height != height) {
                s.x = x;
                s.y = y;
                s.width = width;
                s.height = height;
                out.write(new GuiMessage.Configure(id, x, y, width, height, a.override_redirect));
            }
            String title = title(w);
            if (!title.equals(s.title)) {
                s.title = title;
                out.write(new GuiMessage.WmName(id, title));
            }
            sendChangedPixels(id, w, s);
        }
        for (Integer gone : new HashSet<>(shown.keySet())) {
            if (!seen.contains(gone)) {
                shown.remove(gone);
                out.write(new GuiMessage.Unmap(gone));
                out.write(new GuiMessage.Destroy(gone));
            }
        }
    }

    private X11.Window[] children() {
        X11.WindowByReference rootOut = new X11.WindowByReference();
        X11.WindowByReference parentOut = new X11.WindowByReference();
        PointerByReference list = new PointerByReference();
        IntByReference count = new IntByReference();
        if (X.XQueryTree(display, root, rootOut, parentOut, list, count) == 0 || list.getValue() == null) {
            return new X11.Window[0];
        }
        long[] ids = XidArray.read(list.getValue(), count.getValue());
        X.XFree(list.getValue());
        X11.Window[] windows = new X11.Window[ids.length];
        for (int i = 0; i < ids.length; i++) {
            windows[i] = new X11.Window(ids[i]);
        }
        return windows;
    }

    private String title(X11.Window w) {
        PointerByReference name = new PointerByReference();
        if (X.XFetchName(display, w, name) == 0 || name.getValue() == null) {
            return "";
        }
        String title = name.getValue().getString(0, "UTF-8");
        X.XFree(name.getValue());
        // The wire carries at most this many bytes; dom0 cuts titles far shorter anyway.
        return title.length() > GuiLimits.MAX_TITLE_BYTES / 4 ? title.substring(0, GuiLimits.MAX_TITLE_BYTES / 4) : title;
    }

    /** Sends the bands of rows whose pixels differ from what dom0 has, each message within the per-message limit. */
    private void sendChangedPixels(int id, X11.Window w, Shown s) throws IOException {
        int[] now = image(w, s.width, s.height);
        if (now == null) {
            return;
        }
        boolean resized = s.pixels.length != now.length;
        int rowsPerMessage = Math.max(1, GuiLimits.MAX_PIXELS_PER_MESSAGE / s.width);
        int y = 0;
        while (y < s.height) {
            if (!resized && rowEquals(s.pixels, now, y, s.width)) {
                y++;
                continue;
            }
            int end = y + 1;
            while (end < s.height && end - y < rowsPerMessage && (resized || !rowEquals(s.pixels, now, end, s.width))) {
                end++;
            }
            out.write(new GuiMessage.Pixels(id, 0, y, s.width, end - y, Arrays.copyOfRange(now, y * s.width, end * s.width)));
            y = end;
        }
        s.pixels = now;
    }

    private static boolean rowEquals(int[] a, int[] b, int row, int width) {
        return Arrays.equals(a, row * width, (row + 1) * width, b, row * width, (row + 1) * width);
    }

    /** The window's pixels as 0xRRGGBB, or null when it cannot be read (gone, or not 32 bits per pixel). */
    private int[] image(X11.Window w, int width, int height) {
        Pointer image = Xlib.INSTANCE.XGetImage(display, w, 0, 0, width, height, new NativeLong(-1L), Xlib.Z_PIXMAP);
        if (image == null) {
            return null;
        }
        try {
            // struct XImage on LP64: data at 16, bytes_per_line at 44, bits_per_pixel at 48.
            Pointer data = image.getPointer(16);
            int stride = image.getInt(44);
            if (image.getInt(48) != 32 || data == null) {
                return null;
            }
            int[] pixels = new int[width * height];
            for (int row = 0; row < height; row++) {
                data.read((long) row * stride, pixels, row * width, width);
            }
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] &= 0xffffff;
            }
            return pixels;
        } finally {
            X11.XImage handle = new X11.XImage();
            handle.setPointer(image);
            X.XDestroyImage(handle);
        }
    }

    private void inject(GuiMessage m) throws IOException {
        Shown s = shown.get(m.window());
        if (m instanceof GuiMessage.ClipboardRequest) {
            clipboard.request();
        } else if (m instanceof GuiMessage.ClipboardData data) {
            clipboard.paste(data.data());
        } else if (m instanceof GuiMessage.Key k) {
            int keycode = X.XKeysymToKeycode(display, new X11.KeySym(k.keysym())) & 0xff;
            if (keycode != 0) {
                XTEST.XTestFakeKeyEvent(display, keycode, k.pressed(), new NativeLong(0));
            }
        } else if (m instanceof GuiMessage.Button b && s != null) {
            XTEST.XTestFakeMotionEvent(display, -1, s.x + b.x(), s.y + b.y(), new NativeLong(0));
            XTEST.XTestFakeButtonEvent(display, b.button(), b.pressed(), new NativeLong(0));
        } else if (m instanceof GuiMessage.Motion motion && s != null) {
            XTEST.XTestFakeMotionEvent(display, -1, s.x + motion.x(), s.y + motion.y(), new NativeLong(0));
        } else if (m instanceof GuiMessage.Close && s != null) {
            askToClose(m.window());
        } else if (m instanceof GuiMessage.Focus f && f.in() && s != null && !focusWithin(m.window())) {
            Xlib.INSTANCE.XSetInputFocus(display, new X11.Window(m.window()), Xlib.REVERT_TO_PARENT, new NativeLong(0));
        }
        X.XFlush(display);
    }

    /** Asks the window's program to close it, as a window manager's close button does (ICCCM WM_DELETE_WINDOW). */
    private void askToClose(int window) {
        X11.XEvent event = new X11.XEvent();
        event.type = CLIENT_MESSAGE;
        event.setType(X11.XClientMessageEvent.class);
        event.xclient.type = CLIENT_MESSAGE;
        event.xclient.display = display;
        event.xclient.window = new X11.Window(window);
        event.xclient.message_type = X.XInternAtom(display, "WM_PROTOCOLS", false);
        event.xclient.format = 32;
        event.xclient.data.setType(NativeLong[].class);
        event.xclient.data.l[0] = new NativeLong(X.XInternAtom(display, "WM_DELETE_WINDOW", false).longValue());
        event.xclient.data.l[1] = new NativeLong(0);
        event.write();
        X.XSendEvent(display, new X11.Window(window), 0, new NativeLong(0), event);
    }

    /**
     * Whether the qube's keyboard focus is on {@code window} or inside it. Toolkits such as AWT
     * focus a child of their top-level window on a click; moving the focus to the top-level then
     * would take it away from them.
     */
    private boolean focusWithin(int window) {
        X11.WindowByReference focus = new X11.WindowByReference();
        Xlib.INSTANCE.XGetInputFocus(display, focus, new IntByReference());
        X11.Window w = focus.getValue();
        // Focus None (0) and PointerRoot (1) are no window.
        for (int depth = 0; w != null && w.longValue() > 1 && depth < 64; depth++) {
            if (w.longValue() == window) {
                return true;
            }
            if (w.longValue() == root.longValue()) {
                return false;
            }
            X11.WindowByReference rootOut = new X11.WindowByReference();
            X11.WindowByReference parent = new X11.WindowByReference();
            PointerByReference children = new PointerByReference();
            if (X.XQueryTree(display, w, rootOut, parent, children, new IntByReference()) == 0) {
                return false;
            }
            if (children.getValue() != null) {
                X.XFree(children.getValue());
            }
            w = parent.getValue();
        }
        return false;
    }

    private static int clamp(int coordinate) {
        return Math.max(-GuiLimits.MAX_COORDINATE, Math.min(GuiLimits.MAX_COORDINATE, coordinate));
    }
}
