package dev.bulkhead.gui.agent;

import java.io.IOException;
import java.util.function.IntFunction;

import com.sun.jna.NativeLong;
import com.sun.jna.platform.unix.X11;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

import dev.bulkhead.gui.protocol.GuiMessage;

/**
 * Carries out what dom0 sends into the qube's X server, on the agent's X thread: keys, buttons and
 * motion through XTest, focus, close requests and the clipboard ({@link XClipboard}). Input for a
 * window dom0 was not shown, or no longer is, is dropped.
 */
final class XInput {
    private static final X11 X = X11.INSTANCE;
    private static final X11.XTest XTEST = X11.XTest.INSTANCE;
    private static final NativeLong CURRENT_TIME = new NativeLong(0);
    private static final int CLIENT_MESSAGE = 33;

    private final X11.Display display;
    private final X11.Window root;
    private final XClipboard clipboard;
    private final IntFunction<TopLevel> shown;

    XInput(X11.Display display, X11.Window root, XClipboard clipboard, IntFunction<TopLevel> shown) {
        this.display = display;
        this.root = root;
        this.clipboard = clipboard;
        this.shown = shown;
    }

    void inject(GuiMessage m) throws IOException {
        TopLevel s = shown.apply(m.window());
        if (m instanceof GuiMessage.ClipboardRequest) {
            clipboard.request();
        } else if (m instanceof GuiMessage.ClipboardData data) {
            clipboard.paste(data.data());
        } else if (m instanceof GuiMessage.Key k) {
            int keycode = X.XKeysymToKeycode(display, new X11.KeySym(k.keysym())) & 0xff;
            if (keycode != 0) {
                XTEST.XTestFakeKeyEvent(display, keycode, k.pressed(), CURRENT_TIME);
            }
        } else if (m instanceof GuiMessage.Button b && s != null) {
            XTEST.XTestFakeMotionEvent(display, -1, s.x + s.border + b.x(), s.y + s.border + b.y(), CURRENT_TIME);
            XTEST.XTestFakeButtonEvent(display, b.button(), b.pressed(), CURRENT_TIME);
        } else if (m instanceof GuiMessage.Motion motion && s != null) {
            XTEST.XTestFakeMotionEvent(display, -1, s.x + s.border + motion.x(), s.y + s.border + motion.y(), CURRENT_TIME);
        } else if (m instanceof GuiMessage.Close && s != null) {
            askToClose(s.window);
        } else if (m instanceof GuiMessage.Focus f && f.in() && s != null && !focusWithin(m.window())) {
            Xlib.INSTANCE.XSetInputFocus(display, s.window, Xlib.REVERT_TO_PARENT, CURRENT_TIME);
        }
    }

    /** Asks the window's program to close it, as a window manager's close button does (ICCCM WM_DELETE_WINDOW). */
    private void askToClose(X11.Window window) {
        X11.XEvent event = new X11.XEvent();
        event.type = CLIENT_MESSAGE;
        event.setType(X11.XClientMessageEvent.class);
        event.xclient.type = CLIENT_MESSAGE;
        event.xclient.display = display;
        event.xclient.window = window;
        event.xclient.message_type = X.XInternAtom(display, "WM_PROTOCOLS", false);
        event.xclient.format = 32;
        event.xclient.data.setType(NativeLong[].class);
        event.xclient.data.l[0] = new NativeLong(X.XInternAtom(display, "WM_DELETE_WINDOW", false).longValue());
        event.xclient.data.l[1] = CURRENT_TIME;
        event.write();
        X.XSendEvent(display, window, 0, new NativeLong(0), event);
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
}
