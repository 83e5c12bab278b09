package dev.bulkhead.gui.agent;

import java.io.IOException;

import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.platform.unix.X11;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

import dev.bulkhead.gui.protocol.GuiLimits;
import dev.bulkhead.gui.protocol.GuiMessage;
import dev.bulkhead.gui.protocol.MessageWriter;

/**
 * The qube's CLIPBOARD selection, through a window of the agent's own that is never mapped (so
 * never shown to dom0): dom0's request is answered with the selection's text as UTF-8, and dom0's
 * paste makes the agent the selection's owner, serving the pasted text to the qube's programs.
 * Called on the agent's X thread only.
 */
final class XClipboard {
    static final int SELECTION_CLEAR = 29;
    static final int SELECTION_REQUEST = 30;
    static final int SELECTION_NOTIFY = 31;
    private static final X11 X = X11.INSTANCE;
    private static final NativeLong CURRENT_TIME = new NativeLong(0);

    private final X11.Display display;
    private final MessageWriter out;
    private final X11.Window window;
    private final X11.Atom clipboard;
    private final X11.Atom utf8;
    private final X11.Atom string;
    private final X11.Atom targets;
    private final X11.Atom property;
    private byte[] pasted;

    XClipboard(X11.Display display, X11.Window root, MessageWriter out) {
        this.display = display;
        this.out = out;
        this.window = X.XCreateSimpleWindow(display, root, 0, 0, 1, 1, 0, 0, 0);
        this.clipboard = X.XInternAtom(display, "CLIPBOARD", false);
        this.utf8 = X.XInternAtom(display, "UTF8_STRING", false);
        this.string = X.XInternAtom(display, "STRING", false);
        this.targets = X.XInternAtom(display, "TARGETS", false);
        this.property = X.XInternAtom(display, "BULKHEAD_CLIPBOARD", false);
    }

    /** dom0 asks for the clipboard: the answer follows when the owner has converted it, or at once if there is none. */
    void request() throws IOException {
        X11.Window owner = Xlib.INSTANCE.XGetSelectionOwner(display, clipboard);
        if (owner == null || owner.longValue() == 0) {
            out.write(new GuiMessage.ClipboardData(new byte[0]));
            return;
        }
        Xlib.INSTANCE.XConvertSelection(display, clipboard, utf8, property, window, CURRENT_TIME);
    }

    /** dom0 pastes: the agent owns the clipboard and serves {@code data} from now on. */
    void paste(byte[] data) {
        pasted = data.clone();
        Xlib.INSTANCE.XSetSelectionOwner(display, clipboard, window, CURRENT_TIME);
    }

    /** Handles a selection event of the agent's window. */
    void handle(X11.XEvent event) throws IOException {
        int type = (Integer) event.readField("type");
        if (type == SELECTION_NOTIFY) {
            X11.XSelectionEvent e = (X11.XSelectionEvent) event.readField("xselection");
            out.write(new GuiMessage.ClipboardData(e.property == null || e.property.longValue() == 0 ? new byte[0] : readProperty()));
        } else if (type == SELECTION_REQUEST) {
            serve((X11.XSelectionRequestEvent) event.readField("xselectionrequest"));
        } else if (type == SELECTION_CLEAR) {
            pasted = null;
        }
    }

    private byte[] readProperty() {
        LongByReference type = new LongByReference();
        IntByReference format = new IntByReference();
        LongByReference items = new LongByReference();
        LongByReference after = new LongByReference();
        PointerByReference data = new PointerByReference();
        int status = Xlib.INSTANCE.XGetWindowProperty(display, window.longValue(), property.longValue(), 0,
                GuiLimits.MAX_CLIPBOARD_BYTES / 4, 1, 0, type, format, items, after, data);
        if (status != 0 || data.getValue() == null) {
            return new byte[0];
        }
        try {
            if (format.getValue() != 8) {
                return new byte[0];
            }
            return data.getValue().getByteArray(0, (int) Math.min(items.getValue(), GuiLimits.MAX_CLIPBOARD_BYTES));
        } finally {
            X.XFree(data.getValue());
        }
    }

    private void serve(X11.XSelectionRequestEvent request) {
        X11.Atom answered = request.property;
        long target = request.target.longValue();
        if (pasted == null) {
            answered = new X11.Atom(0);
        } else if (target == targets.longValue()) {
            Memory atoms = new Memory(3L * com.sun.jna.Native.LONG_SIZE);
            long[] ids = {targets.longValue(), utf8.longValue(), string.longValue()};
            for (int i = 0; i < ids.length; i++) {
                atoms.setNativeLong((long) i * com.sun.jna.Native.LONG_SIZE, new NativeLong(ids[i]));
            }
            X.XChangeProperty(display, request.requestor, request.property, X11.XA_ATOM, 32, X11.PropModeReplace, atoms, 3);
        } else if (target == utf8.longValue() || target == string.longValue()) {
            Pointer bytes = new Memory(Math.max(1, pasted.length));
            bytes.write(0, pasted, 0, pasted.length);
            X.XChangeProperty(display, request.requestor, request.property, request.target, 8, X11.PropModeReplace, bytes,
                    pasted.length);
        } else {
            answered = new X11.Atom(0);
        }
        X11.XEvent reply = new X11.XEvent();
        reply.type = SELECTION_NOTIFY;
        reply.setType(X11.XSelectionEvent.class);
        reply.xselection.type = SELECTION_NOTIFY;
        reply.xselection.display = display;
        reply.xselection.requestor = request.requestor;
        reply.xselection.selection = request.selection;
        reply.xselection.target = request.target;
        reply.xselection.property = answered;
        reply.xselection.time = request.time;
        reply.write();
        X.XSendEvent(display, request.requestor, 0, new NativeLong(0), reply);
        X.XFlush(display);
    }
}
