package dev.bulkhead.bench.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.bench.x11.FrameSampler;
import dev.bulkhead.bench.x11.KeyStamps;
import dev.bulkhead.bench.x11.Redraw;
import dev.bulkhead.testing.Await;

/**
 * The tools the GUI figures are made with, on a real Xvfb and the floor's way (no qube): what they print is
 * what happened on the display. No timing is asserted; bin/bench reports the times.
 */
class XDisplaysTest {
    private static final String CLASSPATH = System.getProperty("java.class.path");
    private final XDisplays x = new XDisplays(new ProcessHostCommands());

    @TempDir
    Path dir;

    @Test
    void theKeyClientStampsEveryKeyXdotoolTypesIntoItAfterItWasTypedInOrder() throws Exception {
        int keys = 3;
        Path out = dir.resolve("stamps");
        try (XDisplays.Server server = x.startServer();
                HostCommands.Started client = x.startClient(server.display(), CLASSPATH, out, KeyStamps.class.getName(), "keys",
                        Integer.toString(XDisplays.WARM_UP_KEYS + keys))) {
            String window = x.awaitWindow(server.display(), "^keys$", Duration.ofSeconds(30), () -> read(out));
            List<Long> sent = x.typeInto(server.display(), window, keys, 10);
            assertEquals(keys, sent.size());

            Await.until("the client to exit after the last key", Duration.ofSeconds(30), () -> !client.isAlive(), () -> read(out));
            List<long[]> stamps = read(out).lines().filter(l -> l.matches("[0-9]+ [0-9]+"))
                    .map(l -> Arrays.stream(l.split(" ")).mapToLong(Long::parseLong).toArray()).toList();
            assertEquals(XDisplays.WARM_UP_KEYS + keys, stamps.size(), read(out));
            for (int i = 0; i < stamps.size(); i++) {
                // a letter's X keysym is its Latin-1 code
                assertEquals('a' + i, stamps.get(i)[1], "the keysym of key " + i);
            }
            for (int i = 0; i < keys; i++) {
                long arrived = stamps.get(XDisplays.WARM_UP_KEYS + i)[0];
                assertTrue(arrived >= sent.get(i), "measured key " + i + " arrived after it was typed");
            }
        }
    }

    /**
     * An X server resets when its last client leaves, unless told not to, and refuses a client that connects
     * during the reset: the key client, started while the window search's short connections came and went,
     * could not open the display. A reset drops the root window's properties, which shows it deterministically.
     */
    @Test
    void theServerDoesNotResetWhenItsLastClientLeaves() throws Exception {
        HostCommands host = new ProcessHostCommands();
        try (XDisplays.Server server = x.startServer()) {
            Map<String, String> env = Map.of("DISPLAY", server.display());
            HostCommandResult set = host.run(HostCommand.of(Duration.ofSeconds(30), "xprop", "-root", "-f", "BULKHEAD_MARK", "8s", "-set",
                    "BULKHEAD_MARK", "kept").withEnvironment(env));
            assertTrue(set.succeeded(), set.stderrText());
            HostCommandResult read = host.run(HostCommand.of(Duration.ofSeconds(30), "xprop", "-root", "BULKHEAD_MARK").withEnvironment(env));
            assertEquals("BULKHEAD_MARK(STRING) = \"kept\"", read.stdoutText().strip(), "the root window's property after its client left");
        }
    }

    @Test
    void theSamplerSeesFramesOfARedrawingWindowAndNoneOfAStillOne() throws Exception {
        Path log = dir.resolve("redraw");
        try (XDisplays.Server server = x.startServer();
                HostCommands.Started redraw = x.startClient(server.display(), CLASSPATH, log, Redraw.class.getName(), "frames", "60", "50");
                HostCommands.Started still = x.startClient(server.display(), CLASSPATH, dir.resolve("still"), KeyStamps.class.getName(),
                        "still", "1")) {
            String window = x.awaitWindow(server.display(), "^frames$", Duration.ofSeconds(30), () -> read(log));
            long[] seen = numbers(x.runClient(server.display(), CLASSPATH, Duration.ofSeconds(30), FrameSampler.class.getName(), window, "1"));
            assertTrue(seen[0] > 0 && seen[0] < seen[1], "frames seen: " + seen[0] + " in " + seen[1] + " samples");
            Await.until("the redraw to report its frames", Duration.ofSeconds(30), () -> !read(log).isBlank());
            long[] drawn = numbers(HostCommandResult.lastLine(read(log)));
            assertTrue(drawn[0] > 0 && drawn[1] > 0, read(log));
            redraw.stop();

            // a window nobody redraws
            String stillWindow = x.awaitWindow(server.display(), "^still$", Duration.ofSeconds(30), () -> read(dir.resolve("still")));
            long[] none = numbers(x.runClient(server.display(), CLASSPATH, Duration.ofSeconds(30), FrameSampler.class.getName(), stillWindow,
                    "1"));
            assertEquals(0, none[0], "changes seen on a still window");
            assertTrue(none[1] > 1, "samples taken: " + none[1]);
        }
    }

    private static long[] numbers(String line) {
        return Arrays.stream(line.strip().split(" ")).mapToLong(Long::parseLong).toArray();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
