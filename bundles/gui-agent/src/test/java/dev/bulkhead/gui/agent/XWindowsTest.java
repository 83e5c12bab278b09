package dev.bulkhead.gui.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import com.sun.jna.platform.unix.X11;

import dev.bulkhead.gui.protocol.Direction;
import dev.bulkhead.gui.protocol.GuiLimits;
import dev.bulkhead.gui.protocol.GuiMessage;
import dev.bulkhead.gui.protocol.GuiProtocolException;
import dev.bulkhead.gui.protocol.MessageReader;

/**
 * The agent against a real Xvfb as the qube's display, with the test as dom0 at the other end of
 * its stream and as an X client drawing on that display: what X reports (a window mapped, moved,
 * retitled, drawn into, unmapped) reaches dom0 as it happens, and a drawing travels as the drawn
 * rectangle only.
 */
class XWindowsTest {
    private static final X11 X = X11.INSTANCE;
    private static final Duration BOUND = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    private Process xvfb;
    private SocketChannel dom0;
    private Thread agent;
    private Thread reader;
    private final List<GuiMessage> received = new ArrayList<>();
    private X11.Display client;

    @BeforeEach
    void start() throws Exception {
        xvfb = new ProcessBuilder("Xvfb", "-displayfd", "1", "-nolisten", "tcp", "-screen", "0", "1024x768x24")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String number = new BufferedReader(new InputStreamReader(xvfb.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        String display = ":" + number.strip();
        client = X.XOpenDisplay(display);
        Path socket = dir.resolve("gui");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            SocketChannel qubeEnd = SocketChannel.open(StandardProtocolFamily.UNIX);
            qubeEnd.connect(UnixDomainSocketAddress.of(socket));
            dom0 = server.accept();
            agent = new Thread(() -> {
                try (qubeEnd) {
                    GuiAgent.run(display, qubeEnd);
                } catch (IOException e) {
                    // dom0's end closed while the agent wrote: the test is over
                }
            }, "agent");
        }
        agent.start();
        reader = new Thread(this::read, "dom0");
        reader.start();
        awaitMessage("HELLO", m -> m instanceof GuiMessage.Hello);
    }

    @AfterEach
    void stop() throws Exception {
        dom0.close();
        agent.join(TimeUnit.SECONDS.toMillis(20));
        reader.join(TimeUnit.SECONDS.toMillis(20));
        X.XCloseDisplay(client);
        xvfb.destroy();
        xvfb.waitFor();
        assertTrue(!agent.isAlive(), "the agent ends with its stream");
    }

    @Test
    void aMappedWindowReachesDom0WithItsGeometryTitleAndPixelsAndLeavesWhenUnmapped() {
        X11.Window w = window(15, 25, 120, 80, 0x00ff00, "hello");
        int id = w.intValue();

        awaitMessage("CREATE", m -> m.equals(new GuiMessage.Create(id, 15, 25, 120, 80, 0, false)));
        awaitMessage("MAP", m -> m.equals(new GuiMessage.Map(id, false)));
        awaitMessage("WMNAME", m -> m.equals(new GuiMessage.WmName(id, "hello")));
        awaitPixels(id, 0, 0, 120, 80, 0x00ff00);

        X.XUnmapWindow(client, w);
        X.XFlush(client);
        awaitMessage("UNMAP", m -> m.equals(new GuiMessage.Unmap(id)));
        awaitMessage("DESTROY", m -> m.equals(new GuiMessage.Destroy(id)));
    }

    @Test
    void aDrawingTravelsAsTheDrawnRectangleOnly() {
        X11.Window w = window(10, 10, 200, 100, 0xffffff, "canvas");
        int id = w.intValue();
        awaitPixels(id, 0, 0, 200, 100, 0xffffff);
        int from = count();

        X11.GC gc = X.XCreateGC(client, w, new NativeLong(0), null);
        X.XSetForeground(client, gc, new NativeLong(0xff0000));
        X.XFillRectangle(client, w, gc, 50, 40, 30, 10);
        X.XFlush(client);

        awaitPixels(id, 50, 40, 30, 10, 0xff0000);
        for (GuiMessage m : since(from)) {
            if (m instanceof GuiMessage.Pixels p) {
                assertTrue(p.x() >= 50 && p.y() >= 40 && p.x() + p.width() <= 80 && p.y() + p.height() <= 50,
                        "pixels outside the drawn rectangle 30x10+50+40: " + p);
            }
        }
        X.XFreeGC(client, gc);
    }

    @Test
    void movingResizingAndRetitlingReachDom0AsTheyHappen() {
        X11.Window w = window(10, 10, 60, 40, 0x0000ff, "before");
        int id = w.intValue();
        awaitPixels(id, 0, 0, 60, 40, 0x0000ff);

        X.XMoveResizeWindow(client, w, 300, 200, 90, 70);
        name(w, "after");
        X.XFlush(client);

        awaitMessage("CONFIGURE", m -> m.equals(new GuiMessage.Configure(id, 300, 200, 90, 70, false)));
        awaitMessage("WMNAME after", m -> m.equals(new GuiMessage.WmName(id, "after")));
        awaitPixels(id, 0, 0, 90, 70, 0x0000ff);
    }

    @Test
    void aWindowHeldBackByTheLimitIsShownOnceAShownOneLeaves() {
        List<X11.Window> windows = new ArrayList<>();
        for (int i = 0; i <= GuiLimits.MAX_WINDOWS; i++) {
            windows.add(window(i % 100 * 10, i / 100 * 10, 4, 4, 0x808080, "w" + i));
        }
        awaitMessage(GuiLimits.MAX_WINDOWS + " windows", m -> m instanceof GuiMessage.Create, GuiLimits.MAX_WINDOWS);
        List<Integer> created = created();
        int leaving = created.get(0);
        int heldBack = windows.stream().mapToInt(X11.Window::intValue).filter(id -> !created.contains(id)).findFirst().orElseThrow();

        X.XUnmapWindow(client, new X11.Window(leaving));
        X.XFlush(client);

        awaitMessage("the held back window's CREATE", m -> m instanceof GuiMessage.Create c && c.window() == heldBack);
        assertEquals(GuiLimits.MAX_WINDOWS + 1, created().size());
        assertTrue(messages().contains(new GuiMessage.Destroy(leaving)));
    }

    /** A mapped top-level window on the qube's display, filled with {@code background}, named {@code title}. */
    private X11.Window window(int x, int y, int width, int height, int background, String title) {
        X11.Window w = X.XCreateSimpleWindow(client, X.XDefaultRootWindow(client), x, y, width, height, 0, 0, background);
        name(w, title);
        X.XMapWindow(client, w);
        X.XFlush(client);
        return w;
    }

    private void name(X11.Window w, String title) {
        byte[] bytes = title.getBytes(StandardCharsets.ISO_8859_1);
        Memory text = new Memory(bytes.length);
        text.write(0, bytes, 0, bytes.length);
        X.XChangeProperty(client, w, X11.XA_WM_NAME, X11.XA_STRING, 8, X11.PropModeReplace, text, bytes.length);
    }

    private void read() {
        MessageReader in = new MessageReader(dom0, Direction.QUBE_TO_DOM0);
        try {
            for (GuiMessage m = in.read(); m != null; m = in.read()) {
                synchronized (received) {
                    received.add(m);
                }
            }
        } catch (IOException | GuiProtocolException e) {
            // the stream closed at the test's end, or the agent broke the protocol, which the awaits then show
        }
    }

    private List<GuiMessage> messages() {
        synchronized (received) {
            return new ArrayList<>(received);
        }
    }

    private int count() {
        return messages().size();
    }

    private List<GuiMessage> since(int from) {
        List<GuiMessage> all = messages();
        return all.subList(from, all.size());
    }

    private List<Integer> created() {
        return messages().stream().filter(m -> m instanceof GuiMessage.Create).map(GuiMessage::window).toList();
    }

    private void awaitMessage(String what, Predicate<GuiMessage> match) {
        awaitMessage(what, match, 1);
    }

    private void awaitMessage(String what, Predicate<GuiMessage> match, int times) {
        dev.bulkhead.testing.Await.until(what + " from the agent", BOUND, () -> messages().stream().filter(match).count() >= times,
                this::tail);
    }

    /** Waits until the PIXELS sent for the window, applied in order, show {@code rgb} over the whole rectangle. */
    private void awaitPixels(int id, int x, int y, int width, int height, int rgb) {
        dev.bulkhead.testing.Await.until(String.format("the rectangle %dx%d+%d+%d of window %d in %06x", width, height, x, y, id, rgb),
                BOUND, () -> {
                    int[][] shown = new int[y + height][x + width];
                    for (GuiMessage m : messages()) {
                        if (m instanceof GuiMessage.Pixels p && p.window() == id) {
                            for (int r = 0; r < p.height(); r++) {
                                for (int c = 0; c < p.width(); c++) {
                                    if (p.y() + r < shown.length && p.x() + c < shown[0].length) {
                                        shown[p.y() + r][p.x() + c] = p.rgb()[r * p.width() + c] | 0x1000000;
                                    }
                                }
                            }
                        }
                    }
                    for (int r = y; r < y + height; r++) {
                        for (int c = x; c < x + width; c++) {
                            if (shown[r][c] != (rgb | 0x1000000)) {
                                return false;
                            }
                        }
                    }
                    return true;
                }, this::tail);
    }

    private String tail() {
        List<GuiMessage> all = messages();
        return all.size() + " messages, the last: " + all.subList(Math.max(0, all.size() - 10), all.size());
    }
}
