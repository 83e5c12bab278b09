package dev.bulkhead.gui.internal;

import java.awt.Color;
import java.awt.GraphicsEnvironment;
import java.awt.Rectangle;
import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.bulkhead.api.gui.GuiSession;
import dev.bulkhead.api.gui.GuiWindow;
import dev.bulkhead.gui.protocol.Direction;
import dev.bulkhead.gui.protocol.GuiLimits;
import dev.bulkhead.gui.protocol.GuiMessage;
import dev.bulkhead.gui.protocol.GuiProtocolException;
import dev.bulkhead.gui.protocol.MessageReader;
import dev.bulkhead.gui.protocol.MessageWriter;

/**
 * One qube's GUI connection: a thread reads the qube's stream, checks each message against the
 * session's state (the first is HELLO of our major version, windows exist before they are used,
 * at most {@link GuiLimits#MAX_WINDOWS}, pixels inside their window, mapped windows covering at
 * most {@link #MAX_MAPPED_SCREENS} screens) and shows the result; input
 * on its windows goes back on the same stream only. The first violation ends the session, with
 * the reason logged and kept; other qubes' sessions never notice.
 */
final class QubeGuiSession implements GuiSession, InputSink {
    private static final System.Logger LOG = System.getLogger(QubeGuiSession.class.getName());
    /** Screens' worth of pixels one qube's mapped windows may show at once: bounds dom0's memory for their images. */
    static final int MAX_MAPPED_SCREENS = 16;

    /** A window's state as the qube last described it. */
    private static final class WindowState {
        final QubeWindowView view;
        int x;
        int y;
        int width;
        int height;
        String title = "";
        boolean mapped;
        boolean overrideRedirect;

        WindowState(QubeWindowView view) {
            this.view = view;
        }
    }

    private final String qube;
    private final Color color;
    private final int border;
    private final ByteChannel channel;
    private final ClipboardBroker clipboard;
    private final MessageWriter writer;
    private final Map<Integer, WindowState> windows = new LinkedHashMap<>();
    private final Thread reader;
    private final DrawingBudget budget = new DrawingBudget(DrawingBudget.DEFAULT_PIXELS);
    private volatile String endReason;

    QubeGuiSession(String qube, Color color, int border, ByteChannel channel, ClipboardBroker clipboard) {
        this.qube = qube;
        this.color = color;
        this.border = border;
        this.channel = channel;
        this.clipboard = clipboard;
        this.writer = new MessageWriter(channel);
        this.reader = new Thread(this::serve, "gui-" + qube);
        reader.setDaemon(true);
    }

    void start() {
        reader.start();
    }

    @Override
    public String qube() {
        return qube;
    }

    @Override
    public synchronized List<GuiWindow> windows() {
        List<GuiWindow> list = new ArrayList<>();
        windows.forEach((id, w) -> list.add(new GuiWindow(qube, id, w.title, w.x, w.y, w.width, w.height, w.mapped,
                w.overrideRedirect)));
        return list;
    }

    @Override
    public boolean isOpen() {
        return endReason == null;
    }

    @Override
    public Optional<String> endReason() {
        return Optional.ofNullable(endReason);
    }

    @Override
    public void close() {
        end("closed by dom0");
    }

    private void serve() {
        try {
            writer.write(new GuiMessage.Hello(GuiLimits.VERSION));
            MessageReader in = new MessageReader(channel, Direction.QUBE_TO_DOM0);
            GuiMessage first = in.read();
            if (first == null) {
                end("the qube closed its GUI stream");
                return;
            }
            if (!(first instanceof GuiMessage.Hello hello) || hello.version() >>> 16 != GuiLimits.VERSION >>> 16) {
                throw new GuiProtocolException("the first message is " + first + "; expected HELLO of version "
                        + (GuiLimits.VERSION >>> 16) + ".x");
            }
            for (GuiMessage m = in.read(); m != null && isOpen(); m = in.read()) {
                handle(m);
            }
            end("the qube closed its GUI stream");
        } catch (GuiProtocolException e) {
            end("protocol violation: " + e.getMessage());
        } catch (IOException e) {
            end("stream failed: " + e.getMessage());
        } catch (RuntimeException e) {
            // A fault of dom0's own while serving this qube ends this session only, never the daemon.
            LOG.log(System.Logger.Level.ERROR, "serving the GUI of " + qube, e);
            end("internal error: " + e);
        }
    }

    private synchronized void handle(GuiMessage m) throws GuiProtocolException {
        if (m instanceof GuiMessage.Create c) {
            if (windows.containsKey(c.window())) {
                throw new GuiProtocolException("CREATE of window " + c.window() + ", which exists");
            }
            if (windows.size() >= GuiLimits.MAX_WINDOWS) {
                throw new GuiProtocolException("CREATE of a window beyond the limit of " + GuiLimits.MAX_WINDOWS);
            }
            WindowState w = new WindowState(new QubeWindowView(qube, c.window(), color, border, c.overrideRedirect(), this,
                    budget));
            w.x = c.x();
            w.y = c.y();
            w.width = c.width();
            w.height = c.height();
            w.overrideRedirect = c.overrideRedirect();
            windows.put(c.window(), w);
        } else if (m instanceof GuiMessage.Destroy d) {
            window(d.window()).view.dispose();
            windows.remove(d.window());
        } else if (m instanceof GuiMessage.Map map) {
            WindowState w = window(map.window());
            w.mapped = true;
            checkMappedArea();
            w.view.show(w.x, w.y, w.width, w.height, w.title);
        } else if (m instanceof GuiMessage.Unmap u) {
            WindowState w = window(u.window());
            w.mapped = false;
            w.view.hide();
        } else if (m instanceof GuiMessage.Configure c) {
            WindowState w = window(c.window());
            w.x = c.x();
            w.y = c.y();
            w.width = c.width();
            w.height = c.height();
            if (w.mapped) {
                checkMappedArea();
                w.view.show(w.x, w.y, w.width, w.height, w.title);
            } else {
                w.view.resize(w.width, w.height);
            }
        } else if (m instanceof GuiMessage.Pixels p) {
            WindowState w = window(p.window());
            if (p.x() + p.width() > w.width || p.y() + p.height() > w.height) {
                throw new GuiProtocolException("PIXELS " + p.width() + "x" + p.height() + "+" + p.x() + "+" + p.y()
                        + " lie outside window " + p.window() + " of " + w.width + "x" + w.height);
            }
            w.view.pixels(p.x(), p.y(), p.width(), p.height(), p.rgb());
        } else if (m instanceof GuiMessage.WmName n) {
            WindowState w = window(n.window());
            w.title = n.title();
            w.view.title(w.title);
        } else if (m instanceof GuiMessage.WmClass c) {
            window(c.window());
        } else if (m instanceof GuiMessage.ClipboardData data) {
            clipboard.received(qube, data.data());
        } else {
            throw new GuiProtocolException(m.type() + " is not expected after HELLO");
        }
    }

    private void checkMappedArea() throws GuiProtocolException {
        Rectangle screen = GraphicsEnvironment.getLocalGraphicsEnvironment().getMaximumWindowBounds();
        long area = 0;
        for (WindowState w : windows.values()) {
            if (w.mapped) {
                area += (long) Math.min(w.width, screen.width) * Math.min(w.height, screen.height);
            }
        }
        if (area > (long) MAX_MAPPED_SCREENS * screen.width * screen.height) {
            throw new GuiProtocolException("mapped windows of " + area + " pixels exceed " + MAX_MAPPED_SCREENS + " screens of "
                    + screen.width + "x" + screen.height);
        }
    }

    private WindowState window(int id) throws GuiProtocolException {
        WindowState w = windows.get(id);
        if (w == null) {
            throw new GuiProtocolException("window " + id + " was never created");
        }
        return w;
    }

    private void end(String reason) {
        synchronized (this) {
            if (endReason != null) {
                return;
            }
            endReason = reason;
            windows.values().forEach(w -> w.view.dispose());
        }
        LOG.log(System.Logger.Level.INFO, "GUI of qube {0} ended: {1}", qube, reason);
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the GUI stream of " + qube, e);
        }
    }

    private void send(GuiMessage m) {
        if (!isOpen()) {
            return;
        }
        try {
            writer.write(m);
        } catch (IOException e) {
            end("stream failed: " + e.getMessage());
        }
    }

    @Override
    public void key(int window, boolean pressed, int keysym, int state) {
        send(new GuiMessage.Key(window, pressed, keysym, state));
    }

    @Override
    public void button(int window, boolean pressed, int button, int x, int y, int state) {
        send(new GuiMessage.Button(window, pressed, button, x, y, state));
    }

    @Override
    public void motion(int window, int x, int y, int state) {
        send(new GuiMessage.Motion(window, x, y, state));
    }

    @Override
    public void focus(int window, boolean in) {
        send(new GuiMessage.Focus(window, in));
    }

    @Override
    public void close(int window) {
        send(new GuiMessage.Close(window));
    }

    @Override
    public void copy() {
        clipboard.copyRequested(qube);
        send(new GuiMessage.ClipboardRequest());
    }

    @Override
    public void paste() {
        clipboard.paste(qube, data -> send(new GuiMessage.ClipboardData(data)));
    }
}
