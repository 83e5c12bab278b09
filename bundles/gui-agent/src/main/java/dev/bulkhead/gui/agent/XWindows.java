package dev.bulkhead.gui.agent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
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
 * The qube's X server as dom0 sees it, driven by X's own events: the root window's
 * SubstructureNotify events say when a top-level window is mapped, unmapped, destroyed, moved or
 * resized, PropertyNotify when its title changes, and XDamage where its pixels were drawn. Only
 * then does the agent read and send anything; an idle qube's agent sleeps in poll(2). The tree is
 * scanned once at start, and again only when a window leaves while others were held back by the
 * window limit (X sends no event to say such a window may now be shown). One thread makes every X
 * call (Xlib is not thread-safe by default), dom0's input included ({@link XInput}).
 */
final class XWindows {
    private static final X11 X = X11.INSTANCE;
    private static final int INPUT_ONLY = 2;
    private static final int IS_VIEWABLE = 2;

    private final X11.Display display;
    private final X11.Window root;
    private final MessageWriter out;
    private final BlockingQueue<GuiMessage> fromDom0;
    private final Wakeup wakeup;
    private final int damageNotify;
    private final X11.Atom wmName;
    /** Shown windows in the order dom0 learnt of them, at most {@link GuiLimits#MAX_WINDOWS}. */
    private final Map<Integer, TopLevel> shown = new LinkedHashMap<>();
    private final XClipboard clipboard;
    private final XInput input;
    private final WindowPixels pixels;
    /** Whether a viewable window is not shown because of the window limit. */
    private boolean heldBack;
    // Windows vanish between an event and the calls about them; those errors are expected, not fatal.
    private final X11.XErrorHandler ignoreErrors = (d, e) -> 0;

    XWindows(String displayName, MessageWriter out, BlockingQueue<GuiMessage> fromDom0, Wakeup wakeup) {
        this.display = X.XOpenDisplay(displayName);
        if (display == null) {
            throw new IllegalStateException("cannot open the qube's X display " + displayName);
        }
        IntByReference eventBase = new IntByReference();
        if (!Xdamage.INSTANCE.XDamageQueryExtension(display, eventBase, new IntByReference())) {
            throw new IllegalStateException("the qube's X server " + displayName + " has no DAMAGE extension");
        }
        this.damageNotify = eventBase.getValue() + Xdamage.NOTIFY;
        X.XSetErrorHandler(ignoreErrors);
        this.root = X.XDefaultRootWindow(display);
        this.wmName = X.XInternAtom(display, "WM_NAME", false);
        this.out = out;
        this.fromDom0 = fromDom0;
        this.wakeup = wakeup;
        this.clipboard = new XClipboard(display, root, out);
        this.input = new XInput(display, root, clipboard, shown::get);
        this.pixels = new WindowPixels(display, out);
    }

    /** Serves until {@code connected} turns false; whoever turns it false then calls {@link Wakeup#wake}. */
    void run(BooleanSupplier connected) throws IOException {
        X.XSelectInput(display, root, new NativeLong(X11.SubstructureNotifyMask));
        rescan();
        int connection = Xlib.INSTANCE.XConnectionNumber(display);
        X11.XEvent event = new X11.XEvent();
        while (connected.getAsBoolean()) {
            for (GuiMessage m = fromDom0.poll(); m != null; m = fromDom0.poll()) {
                input.inject(m);
            }
            while (X.XPending(display) > 0) {
                X.XNextEvent(display, event);
                handle(event);
            }
            sendDrawn();
            // XPending flushes what was asked and reads what came meanwhile; sleep only once both are done.
            if (X.XPending(display) == 0 && fromDom0.isEmpty()) {
                wakeup.await(connection);
            }
        }
    }

    private void handle(X11.XEvent event) throws IOException {
        int type = (Integer) event.readField("type");
        if (type == damageNotify) {
            // XDamageNotifyEvent on LP64: drawable at 32, area (short x, y; unsigned short width, height) at 64.
            Pointer p = event.getPointer();
            TopLevel t = shown.get((int) p.getNativeLong(32).longValue());
            if (t != null) {
                t.damaged(p.getShort(64), p.getShort(66), p.getShort(68) & 0xffff, p.getShort(70) & 0xffff);
            }
        } else if (type == X11.MapNotify) {
            X11.XMapEvent e = (X11.XMapEvent) event.readField("xmap");
            if (isRoot(e.event)) {
                show(e.window);
            }
        } else if (type == X11.UnmapNotify) {
            X11.XUnmapEvent e = (X11.XUnmapEvent) event.readField("xunmap");
            if (isRoot(e.event)) {
                hide(e.window.intValue(), true);
            }
        } else if (type == X11.DestroyNotify) {
            X11.XDestroyWindowEvent e = (X11.XDestroyWindowEvent) event.readField("xdestroywindow");
            if (isRoot(e.event)) {
                hide(e.window.intValue(), false);
            }
        } else if (type == X11.ConfigureNotify) {
            X11.XConfigureEvent e = (X11.XConfigureEvent) event.readField("xconfigure");
            TopLevel t = isRoot(e.event) ? shown.get(e.window.intValue()) : null;
            if (t != null && t.place(e.x, e.y, e.border_width, e.width, e.height, e.override_redirect != 0)) {
                out.write(new GuiMessage.Configure(t.id, t.x, t.y, t.width, t.height, t.overrideRedirect));
            }
        } else if (type == X11.ReparentNotify) {
            // Only windows whose parent is the root are top-level: one taken into another leaves, one given to the root may show.
            X11.XReparentEvent e = (X11.XReparentEvent) event.readField("xreparent");
            if (isRoot(e.parent)) {
                show(e.window);
            } else {
                hide(e.window.intValue(), true);
            }
        } else if (type == X11.PropertyNotify) {
            X11.XPropertyEvent e = (X11.XPropertyEvent) event.readField("xproperty");
            TopLevel t = shown.get(e.window.intValue());
            if (t != null && e.atom != null && e.atom.longValue() == wmName.longValue()) {
                sendTitle(t);
            }
        } else {
            clipboard.handle(event);
        }
    }

    private boolean isRoot(X11.Window w) {
        return w != null && w.longValue() == root.longValue();
    }

    /** Shows dom0 a window of the root that is viewable and not shown yet, within the window limit. */
    private void show(X11.Window w) throws IOException {
        int id = w.intValue();
        X11.XWindowAttributes a = new X11.XWindowAttributes();
        // InputOnly windows have no pixels; only viewable windows are shown.
        if (shown.containsKey(id) || X.XGetWindowAttributes(display, w, a) == 0 || a.c_class == INPUT_ONLY
                || a.map_state != IS_VIEWABLE) {
            return;
        }
        if (shown.size() >= GuiLimits.MAX_WINDOWS) {
            // dom0 ends the whole GUI of a qube that shows more; the windows beyond stay unseen instead.
            heldBack = true;
            return;
        }
        // Title changes and drawing are asked for before the title and pixels are read, so none falls between.
        X.XSelectInput(display, w, new NativeLong(X11.PropertyChangeMask));
        TopLevel t = new TopLevel(w, Xdamage.INSTANCE.XDamageCreate(display, w, Xdamage.REPORT_BOUNDING_BOX));
        t.place(a.x, a.y, a.border_width, a.width, a.height, a.override_redirect);
        shown.put(id, t);
        out.write(new GuiMessage.Create(id, t.x, t.y, t.width, t.height, 0, t.overrideRedirect));
        out.write(new GuiMessage.Map(id, t.overrideRedirect));
        sendTitle(t);
    }

    /** Tells dom0 a shown window has gone; {@code exists} when it was unmapped or taken away rather than destroyed. */
    private void hide(int id, boolean exists) throws IOException {
        TopLevel t = shown.remove(id);
        if (t == null) {
            return;
        }
        if (exists) {
            X.XSelectInput(display, t.window, new NativeLong(0));
            Xdamage.INSTANCE.XDamageDestroy(display, t.damage);
        }
        out.write(new GuiMessage.Unmap(id));
        out.write(new GuiMessage.Destroy(id));
        if (heldBack) {
            rescan();
        }
    }

    /** Shows every viewable top-level window not shown yet, up to the limit, bottom to top. */
    private void rescan() throws IOException {
        heldBack = false;
        X11.WindowByReference rootOut = new X11.WindowByReference();
        X11.WindowByReference parentOut = new X11.WindowByReference();
        PointerByReference list = new PointerByReference();
        IntByReference count = new IntByReference();
        if (X.XQueryTree(display, root, rootOut, parentOut, list, count) == 0 || list.getValue() == null) {
            return;
        }
        long[] ids = XidArray.read(list.getValue(), count.getValue());
        X.XFree(list.getValue());
        for (long id : ids) {
            show(new X11.Window(id));
        }
    }

    /** Sends the drawn part of each shown window, clearing its damage first so that drawing from now on is reported again. */
    private void sendDrawn() throws IOException {
        for (TopLevel t : new ArrayList<>(shown.values())) {
            if (t.isDirty()) {
                Xdamage.INSTANCE.XDamageSubtract(display, t.damage, Xdamage.NONE, Xdamage.NONE);
                pixels.send(t, t.takeDirty());
            }
        }
    }

    private void sendTitle(TopLevel t) throws IOException {
        PointerByReference name = new PointerByReference();
        String title = "";
        if (X.XFetchName(display, t.window, name) != 0 && name.getValue() != null) {
            title = name.getValue().getString(0, "UTF-8");
            X.XFree(name.getValue());
        }
        // The wire carries at most this many bytes; dom0 cuts titles far shorter anyway.
        if (title.length() > GuiLimits.MAX_TITLE_BYTES / 4) {
            title = title.substring(0, GuiLimits.MAX_TITLE_BYTES / 4);
        }
        if (!title.equals(t.title)) {
            t.title = title;
            out.write(new GuiMessage.WmName(t.id, title));
        }
    }
}
