package dev.bulkhead.gui.agent;

import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.bulkhead.gui.protocol.Direction;
import dev.bulkhead.gui.protocol.GuiLimits;
import dev.bulkhead.gui.protocol.GuiMessage;
import dev.bulkhead.gui.protocol.GuiProtocolException;
import dev.bulkhead.gui.protocol.MessageReader;
import dev.bulkhead.gui.protocol.MessageWriter;

/**
 * The GUI agent inside a qube: {@code java -jar agent.jar --display :0 --channel PATH}. It connects
 * to dom0's GUI stream at PATH (a unix socket, or a character device it opens: {@link ChannelStream}),
 * shows dom0 the top-level windows of the qube's own X server and injects what dom0 sends into that
 * server only. It ends when the stream ends.
 */
public final class GuiAgent {
    private GuiAgent() {
    }

    public static void main(String[] args) throws Exception {
        String display = null;
        String channel = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--display" -> display = args[i + 1];
                case "--channel" -> channel = args[i + 1];
                default -> usage("unknown option " + args[i]);
            }
        }
        if (display == null || channel == null || args.length != 4) {
            usage("both options are needed");
        }
        try (ByteChannel stream = ChannelStream.open(Path.of(channel))) {
            run(display, stream);
        }
    }

    private static void usage(String problem) {
        System.err.println("gui-agent: " + problem + "; usage: java -jar agent.jar --display :N --channel PATH");
        System.exit(2);
    }

    /** Serves dom0 on {@code stream} until it ends; the X thread sleeps until its X server or dom0 has something for it. */
    static void run(String display, ByteChannel stream) throws IOException {
        MessageWriter out = new MessageWriter(stream);
        out.write(new GuiMessage.Hello(GuiLimits.VERSION));
        BlockingQueue<GuiMessage> fromDom0 = new LinkedBlockingQueue<>();
        Wakeup wakeup = new Wakeup();
        XWindows windows = new XWindows(display, out, fromDom0, wakeup);
        AtomicBoolean open = new AtomicBoolean(true);
        Thread reader = new Thread(() -> read(stream, fromDom0, open, wakeup), "gui-agent-reader");
        reader.setDaemon(true);
        reader.start();
        windows.run(open::get);
    }

    private static void read(ByteChannel stream, BlockingQueue<GuiMessage> into, AtomicBoolean open, Wakeup wakeup) {
        MessageReader in = new MessageReader(stream, Direction.DOM0_TO_QUBE);
        try {
            for (GuiMessage m = in.read(); m != null; m = in.read()) {
                into.add(m);
                wakeup.wake();
            }
        } catch (IOException | GuiProtocolException e) {
            System.err.println("gui-agent: the GUI stream ended: " + e.getMessage());
        } finally {
            open.set(false);
            wakeup.wake();
        }
    }
}
