package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The built distribution's {@code bin/bench} reads its options: {@code --compare OLD NEW} compares two results without
 * running anything, a bad or foreign result is refused naming the problem (before a run, when only OLD is given), and a
 * missing or malformed value is refused with the usage. None of these starts a throwaway instance.
 */
public class BenchScriptIT {
    private static final Path BENCH = DistroCopy.DISTRO.resolve("bin/bench");
    private static final String OLD = """
            {"backend": "lite",
             "qube_start_ms": {"p50": 121.3, "p99": 160.0, "floor_bare_runc_p50": 78.4, "ratio_p50": 1.55, "rounds": 20, "target_p50": 30},
             "network": {"tcp_throughput_mbit_s": {"chain_appvm_firewall_netvm": 9120, "floor_bare_veth": 12845, "ratio": 0.71}},
             "platform": {"start_to_shell_ready_ms": 1326, "rss_after_start_mb": 70}}
            """;
    private static final String NEW = """
            {"run": {"commit": "0123456789abcdef0123456789abcdef01234567", "dirty": false, "started": "2026-12-05T22:00:00Z",
                     "machine": {"cpu_model": "Some CPU", "cores": 2, "memory_mb": 24036, "load_average": "1.00 1.00 1.00"}},
             "backend": "lite",
             "qube_start_ms": {"p50": 98.2, "p99": 161.0, "floor_bare_runc_p50": 78.0, "ratio_p50": 1.26, "rounds": 20, "target_p50": 30},
             "network": {"tcp_throughput_mbit_s": {"chain_appvm_firewall_netvm": 7000, "floor_bare_veth": 12800, "ratio": 0.55}},
             "platform": {"start_to_shell_ready_ms": 1330, "rss_after_start_mb": 70}}
            """;

    private Path dir;

    @Before
    public void files() throws IOException {
        dir = Files.createTempDirectory("bulkhead-bench-script-");
        Files.writeString(dir.resolve("old.json"), OLD);
        Files.writeString(dir.resolve("new.json"), NEW);
    }

    @After
    public void removeThem() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }

    @Test
    public void twoResultsAreComparedFigureByFigureWithoutARun() {
        HostCommand.Result r = bench("--compare", file("old.json"), file("new.json"));
        assertEquals(r.stderr(), 0, r.exitStatus());
        String out = r.stdout();
        assertTrue(out, out.lines().anyMatch(l -> l.matches("qube_start_ms\\.p50 +121\\.3 +98\\.2 +0\\.81  better -19 %")));
        assertTrue(out, out.lines().anyMatch(
                l -> l.matches("network\\.tcp_throughput_mbit_s\\.chain_appvm_firewall_netvm +9120 +7000 +0\\.77  WORSE -23 %, higher is better")));
        assertTrue(out, out.contains("new: " + file("new.json") + ": commit 0123456789abcdef0123456789abcdef01234567, 2026-12-05T22:00:00Z"));
        assertTrue(out, out.strip().endsWith("2 figures got worse by more than 10 %: network.tcp_throughput_mbit_s.chain_appvm_firewall_netvm,"
                + " network.tcp_throughput_mbit_s.ratio"));

        HostCommand.Result loose = bench("--threshold", "30", "--compare", file("old.json"), file("new.json"));
        assertEquals(loose.stderr(), 0, loose.exitStatus());
        assertTrue(loose.stdout(), loose.stdout().strip().endsWith("no figure got worse by more than 30 %"));
    }

    @Test
    public void badAndForeignResultsAreRefusedNamingTheProblem() throws IOException {
        Files.writeString(dir.resolve("bad.json"), "{\"qube_start_ms\": {\"p50\": ");
        Files.writeString(dir.resolve("package.json"), "{\"name\": \"left-pad\", \"version\": \"1.3.0\"}");
        HostCommand.Result bad = bench("--compare", file("old.json"), file("bad.json"));
        assertEquals(1, bad.exitStatus());
        assertTrue(bad.stderr(), bad.stderr().startsWith("bench: " + file("bad.json") + " is not JSON: "));
        HostCommand.Result missing = bench("--compare", file("gone.json"), file("new.json"));
        assertEquals(1, missing.exitStatus());
        assertEquals("bench: " + file("gone.json") + " does not exist", missing.stderr().strip());
        // only OLD: checked before the run (which would take minutes and print figures), so the refusal comes at once
        HostCommand.Result foreign = bench("--rounds", "1", "--compare", file("package.json"));
        assertEquals(1, foreign.exitStatus());
        assertTrue(foreign.stderr(), foreign.stderr().startsWith("bench: " + file("package.json")
                + " is JSON but not a bench result: none of console_get_qubes_ms, disposable_ms, platform, qube_start_ms, qvm_ls_ms"));
    }

    @Test
    public void missingAndMalformedValuesAreRefusedWithTheUsage() {
        refused("bench: --rounds takes a value; usage: bin/bench [--rounds N]", "--rounds");
        refused("bench: --compare takes a value; usage: ", "--compare");
        refused("bench: --scale takes a number of qubes (0 leaves the scale figures out), not 'ten'", "--scale", "ten");
        refused("bench: --qubes takes a number of 1 or more, not '0'", "--qubes", "0");
        refused("bench: --threshold takes a percentage such as 10 or 2.5, not '-5'", "--threshold", "-5");
        refused("bench: --out takes a directory, not ''", "--out", "");
        refused("bench: unknown argument '--sacle'; usage: ", "--sacle", "20");
    }

    private void refused(String message, String... args) {
        HostCommand.Result r = bench(args);
        assertEquals(r.stderr(), 1, r.exitStatus());
        assertTrue("'" + r.stderr() + "' starts with '" + message + "'", r.stderr().startsWith(message));
    }

    private HostCommand.Result bench(String... args) {
        List<String> command = new ArrayList<>(List.of(BENCH.toString()));
        command.addAll(List.of(args));
        return HostCommand.run(command.toArray(String[]::new));
    }

    private String file(String name) {
        return dir.resolve(name).toString();
    }
}
