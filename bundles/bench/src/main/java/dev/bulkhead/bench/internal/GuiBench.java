package dev.bulkhead.bench.internal;

import static dev.bulkhead.bench.internal.BenchFigures.putAgainstFloor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.template.InstallListener;
import dev.bulkhead.api.template.TemplateStore;
import dev.bulkhead.bench.x11.FrameSampler;
import dev.bulkhead.bench.x11.KeyStamps;
import dev.bulkhead.bench.x11.Redraw;

/**
 * The GUI's figures, each next to the same X client on one single Xvfb without Bulkhead, measured in the
 * same run: the latency of a key typed with xdotool on dom0's display until the client in a qube gets it,
 * and the frames per second of an 800×600 window that a qube redraws continuously, or 60 times a second,
 * as seen on dom0's display. The clients ({@code dev.bulkhead.bench.x11}) are this bundle's jar run with JNA: in the qube
 * with the template's copy of JNA, on the host with the platform's.
 */
final class GuiBench {
    static final String QUBE = BenchCommand.PREFIX + "gui";
    private static final String QUBE_JAR = "/tmp/bench-x11.jar";
    private static final String QUBE_CLASSPATH = QUBE_JAR + ":/usr/lib/bulkhead/lib/jna.jar";
    private static final Duration QUBE_LIMIT = Duration.ofSeconds(60);
    private static final Duration WINDOW_LIMIT = Duration.ofSeconds(60);
    /** Keys typed per figure, one every {@value #KEY_PAUSE_MS} ms: about two seconds each. */
    static final int KEYS = 40;
    private static final long KEY_PAUSE_MS = 50;
    /** Seconds the frames are counted for. */
    static final int FRAME_SECONDS = 3;
    /** The rate of the paced redraw, an animation's. */
    static final int PACED_FPS = 60;

    /** Where and with what the figures are made; {@code template} is the Debian template package. */
    record Setup(String dom0Display, Path template, Path probeJar, Path jnaJar) {
        String hostClasspath() {
            return probeJar + ":" + jnaJar;
        }
    }

    private final QubeAdmin admin;
    private final TemplateStore templates;
    private final XDisplays x;

    GuiBench(QubeAdmin admin, TemplateStore templates, XDisplays x) {
        this.admin = admin;
        this.templates = templates;
        this.x = x;
    }

    void measure(ObjectNode out, Setup setup) throws Exception {
        long t0 = System.nanoTime();
        String template = templates.install(setup.template(), InstallListener.NONE, false).name();
        out.put("template", template);
        out.put("template_install_ms", BenchFigures.ms(System.nanoTime() - t0));
        try {
            admin.create(new QubeSpec(QUBE, QubeClass.AppVM, Label.RED, Map.of("template", template)));
            try (XDisplays.Server floor = x.startServer()) {
                admin.setFeature(QUBE, "gui", "1");
                admin.start(QUBE);
                runOk(List.of("sh", "-c", "cat >" + QUBE_JAR), Files.readAllBytes(setup.probeJar()));
                keyLatency(out.putObject("keystroke_latency_ms"), setup, floor.display());
                frames(out.putObject("frames_per_s_800x600"), setup, floor.display());
            } finally {
                if (admin.get(QUBE).state().isActive()) {
                    admin.kill(QUBE);
                }
                admin.remove(QUBE);
            }
        } finally {
            templates.remove(template);
        }
    }

    private void keyLatency(ObjectNode out, Setup setup, String floorDisplay) throws Exception {
        if (!"lite".equals(admin.backendName())) {
            out.put("skipped", "the key's arrival is stamped with the host's monotonic clock, which only a lite qube shares");
            return;
        }
        runOk(List.of("sh", "-c", "DISPLAY=:0 java -cp " + QUBE_CLASSPATH + " " + KeyStamps.class.getName() + " bench-keys "
                + (XDisplays.WARM_UP_KEYS + KEYS) + " </dev/null >/tmp/bench-keys 2>&1 &"), new byte[0]);
        String window = x.awaitWindow(setup.dom0Display(), "^\\[" + QUBE + "\\] bench-keys$", WINDOW_LIMIT,
                () -> runOk(List.of("cat", "/tmp/bench-keys", "/tmp/gui-agent.log"), new byte[0]));
        List<Long> sent = x.typeInto(setup.dom0Display(), window, KEYS, KEY_PAUSE_MS);
        List<Long> viaGui = latencies(sent, awaitStamps(() -> runOk(List.of("cat", "/tmp/bench-keys"), new byte[0])));

        Path stamps = Files.createTempFile("bulkhead-bench-keys", ".out");
        try (var client = x.startClient(floorDisplay, setup.hostClasspath(), stamps, KeyStamps.class.getName(), "bench-keys",
                Integer.toString(XDisplays.WARM_UP_KEYS + KEYS))) {
            String floorWindow = x.awaitWindow(floorDisplay, "^bench-keys$", WINDOW_LIMIT, () -> read(stamps));
            List<Long> floorSent = x.typeInto(floorDisplay, floorWindow, KEYS, KEY_PAUSE_MS);
            List<Long> floor = latencies(floorSent, awaitStamps(() -> read(stamps)));
            putAgainstFloor(out, viaGui, 99, floor, "single_xvfb");
            out.put("floor_single_xvfb_p99", BenchFigures.ms(BenchFigures.percentile(floor, 99)));
            out.put("keys", KEYS);
        } finally {
            Files.deleteIfExists(stamps);
        }
    }

    /**
     * Frames per second of the window on dom0's display while the client in the qube redraws it
     * continuously, and while it redraws it {@value #PACED_FPS} times a second, as an animation does; next
     * to how fast the same client draws on a single Xvfb. The client in the qube draws for as long as the
     * window needs to reach dom0 and be watched, and is stopped after.
     */
    private void frames(ObjectNode out, Setup setup, String floorDisplay) throws Exception {
        for (int fps : new int[] {0, PACED_FPS}) {
            String name = fps == 0 ? "continuous" : "paced_" + fps;
            String window = "bench-frames-" + name;
            String log = "/tmp/" + window;
            String pid = runOk(List.of("sh", "-c", "DISPLAY=:0 java -cp " + QUBE_CLASSPATH + " " + Redraw.class.getName() + " " + window + " "
                    + (FRAME_SECONDS + WINDOW_LIMIT.toSeconds()) + (fps == 0 ? "" : " " + fps) + " </dev/null >" + log + " 2>&1 & echo $!"),
                    new byte[0]).strip();
            long[] seen;
            long[] drawn;
            try {
                String shown = x.awaitWindow(setup.dom0Display(), "^\\[" + QUBE + "\\] " + window + "$", WINDOW_LIMIT,
                        () -> runOk(List.of("cat", log, "/tmp/gui-agent.log"), new byte[0]));
                try {
                    seen = numbers(x.runClient(setup.dom0Display(), setup.hostClasspath(), Duration.ofSeconds(FRAME_SECONDS + 30),
                            FrameSampler.class.getName(), shown, Integer.toString(FRAME_SECONDS)));
                } catch (AdminException e) {
                    throw new AdminException("watching " + window + " on dom0's display: " + e.getMessage().strip() + "; in " + QUBE + ": "
                            + admin.run(QUBE, List.of("sh", "-c", "tail -n 20 " + log + " /tmp/gui-agent.log"), new byte[0], QUBE_LIMIT)
                                    .stdoutText());
                }
                drawn = numbers(HostCommandResult.lastLine(runOk(List.of("cat", log), new byte[0])));
            } finally {
                // kill is a shell builtin there: a minimal Debian has no /bin/kill
                admin.run(QUBE, List.of("sh", "-c", "kill \"$0\"", pid), new byte[0], QUBE_LIMIT);
            }
            Path floorLog = Files.createTempFile("bulkhead-bench-frames", ".out");
            try {
                List<String> args = new ArrayList<>(List.of(window, Integer.toString(FRAME_SECONDS)));
                if (fps != 0) {
                    args.add(Integer.toString(fps));
                }
                x.startClient(floorDisplay, setup.hostClasspath(), floorLog, Redraw.class.getName(), args.toArray(String[]::new)).await();
                long[] floor = numbers(HostCommandResult.lastLine(read(floorLog)));
                double onDom0 = perSecond(seen[0], seen[2]);
                double floorRate = perSecond(floor[0], floor[1]);
                ObjectNode figure = out.putObject(name);
                figure.put("seen_on_dom0", onDom0);
                figure.put("drawn_in_qube", perSecond(drawn[0], drawn[1]));
                figure.put("floor_single_xvfb", floorRate);
                figure.put("ratio", Math.round(10000.0 * onDom0 / floorRate) / 10000.0);
                figure.put("samples_on_dom0", seen[1]);
            } finally {
                Files.deleteIfExists(floorLog);
            }
        }
        out.put("seconds", FRAME_SECONDS);
    }

    /** Each key's time from being typed to its arrival, matched in order: the client stamps every key it gets. */
    private static List<Long> latencies(List<Long> sent, List<Long> arrived) {
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < sent.size(); i++) {
            long latency = arrived.get(i) - sent.get(i);
            if (latency < 0) {
                throw new AdminException("key " + i + " arrived " + latency + " ns before it was typed: the clocks are not shared");
            }
            times.add(latency);
        }
        return times;
    }

    /** The arrival times the key client printed for the measured keys, once it has printed one for every key typed. */
    private static List<Long> awaitStamps(Supplier<String> output) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            String text = output.get();
            List<Long> stamps = text.lines().filter(l -> l.matches("[0-9]+ [0-9]+")).map(l -> Long.parseLong(l.split(" ")[0])).toList();
            if (stamps.size() >= XDisplays.WARM_UP_KEYS + KEYS) {
                return stamps.subList(XDisplays.WARM_UP_KEYS, stamps.size());
            }
            if (System.nanoTime() > deadline) {
                throw new AdminException("the key client got " + stamps.size() + " of " + (XDisplays.WARM_UP_KEYS + KEYS)
                        + " keys within 30 s: " + text);
            }
            Thread.sleep(20);
        }
    }

    private String runOk(List<String> command, byte[] stdin) {
        ExecResult r = admin.run(QUBE, command, stdin, QUBE_LIMIT);
        if (r.exitStatus() != 0) {
            throw new AdminException(String.join(" ", command) + " failed in " + QUBE + ": " + r.stderrText().strip());
        }
        return r.stdoutText();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    private static long[] numbers(String line) {
        String[] words = line.strip().split(" ");
        long[] n = new long[words.length];
        for (int i = 0; i < words.length; i++) {
            if (!words[i].matches("[0-9]+")) {
                throw new AdminException("not a line of numbers from an X client: " + line);
            }
            n[i] = Long.parseLong(words[i]);
        }
        return n;
    }

    private static double perSecond(long count, long nanos) {
        return Math.round(10.0 * count / (nanos / 1e9)) / 10.0;
    }
}
