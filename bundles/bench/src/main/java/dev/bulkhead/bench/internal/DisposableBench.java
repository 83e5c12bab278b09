package dev.bulkhead.bench.internal;

import static dev.bulkhead.bench.internal.BenchFigures.ms;
import static dev.bulkhead.bench.internal.BenchFigures.percentile;
import static dev.bulkhead.bench.internal.BenchFigures.putAgainstFloor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.template.InstallListener;
import dev.bulkhead.api.template.TemplateStore;

/**
 * Disposable create, run {@code true}, destroyed, one after the other, fresh and preloaded, next
 * to a bare {@code runc run} of {@code true} in a fresh network namespace, deleted after.
 */
final class DisposableBench {
    private final QubeAdmin admin;
    private final TemplateStore templates;
    private final BenchHost host;

    DisposableBench(QubeAdmin admin, TemplateStore templates, BenchHost host) {
        this.admin = admin;
        this.templates = templates;
        this.host = host;
    }

    void measure(ObjectNode figures, int rounds, String templateFile) throws Exception {
        String rootTemplate = null;
        if (!templateFile.isEmpty()) {
            long t0 = System.nanoTime();
            rootTemplate = templates.install(Path.of(templateFile), InstallListener.NONE, false).name();
            figures.put("template_install_ms", ms(System.nanoTime() - t0));
        }
        String dvm = BenchCommand.PREFIX + "dvm";
        Map<String, String> props = new java.util.HashMap<>(Map.of("template_for_dispvms", "True"));
        if (rootTemplate != null) {
            props.put("template", rootTemplate);
        }
        admin.create(new QubeSpec(dvm, QubeClass.AppVM, Label.ORANGE, props));
        try {
            admin.run(dvm, List.of("true"), new byte[0], Duration.ofSeconds(30));
            admin.shutdown(dvm, false, true, Duration.ofSeconds(30));
            List<Long> fresh = new ArrayList<>();
            for (int i = 0; i <= rounds; i++) {
                long t0 = System.nanoTime();
                admin.runDisposable(dvm, List.of("true"), new byte[0], Duration.ofSeconds(30));
                if (i > 0) {
                    fresh.add(System.nanoTime() - t0);
                }
            }
            admin.setFeature(dvm, "preload-dispvm-max", "1");
            List<Long> preloaded = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                awaitPreloaded(dvm);
                long t0 = System.nanoTime();
                admin.runDisposable(dvm, List.of("true"), new byte[0], Duration.ofSeconds(30));
                preloaded.add(System.nanoTime() - t0);
            }
            admin.removeFeature(dvm, "preload-dispvm-max");
            List<Long> floor = bareRuncRuns(rounds);
            figures.put("root", rootTemplate == null ? "built-in" : rootTemplate);
            putAgainstFloor(figures, fresh, 99, floor, "bare_runc");
            figures.put("preloaded_p50", ms(percentile(preloaded, 50)));
            figures.put("rounds", rounds);
            figures.put("target_p50", 150);
        } finally {
            awaitNoDisposables();
            admin.remove(dvm);
            if (rootTemplate != null) {
                templates.remove(rootTemplate);
            }
        }
    }

    /** Waits, with a deadline, for the template's preloaded disposable to be ready. */
    private void awaitPreloaded(String dvm) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (admin.get(dvm).features().getOrDefault("preload-dispvm", "").isBlank()) {
            if (System.nanoTime() > deadline) {
                throw new AdminException("no disposable of " + dvm + " was preloaded within 30 s");
            }
            Thread.sleep(5);
        }
    }

    private void awaitNoDisposables() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (admin.list().stream().anyMatch(q -> q.klass() == QubeClass.DispVM) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /** The floor: {@code ip netns add}, {@code runc run} of busybox {@code true} joined to it, and both removed. */
    private List<Long> bareRuncRuns(int rounds) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("bulkhead-bench-disposable-floor");
        try {
            String ns = "bhbench-d-" + ProcessHandle.current().pid();
            host.writeBusyboxBundle(dir, ns, List.of("/bin/busybox", "true"));
            String state = dir.resolve("state").toString();
            List<Long> times = new ArrayList<>();
            for (int i = 0; i <= rounds; i++) {
                long t0 = System.nanoTime();
                host.exec(dir, "ip", "netns", "add", ns);
                host.exec(dir.resolve("bundle"), "runc", "--root", state, "run", "floor" + i);
                host.exec(dir, "ip", "netns", "del", ns);
                if (i > 0) {
                    times.add(System.nanoTime() - t0);
                }
            }
            return times;
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
