package dev.bulkhead.bench.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.bench.history.BenchFile.BadBenchFile;
import dev.bulkhead.bench.history.Comparison.Mark;
import dev.bulkhead.bench.history.Comparison.Row;
import dev.bulkhead.bench.history.Figures.Direction;

/**
 * The comparison of two bench results, on the shapes {@code bench:run} prints ({@code old.json}: a result as printed
 * before bin/bench recorded the run; {@code new.json}: one that bin/bench wrote, with its run's facts and the scale
 * section).
 */
class ComparisonTest {
    @TempDir
    Path dir;

    @Test
    void aTimeThatGrewPastTheThresholdIsMarkedWorseAndOneThatShrankBetter() throws Exception {
        Comparison c = new Comparison(resource("old.json"), resource("new.json"), 10);
        Row disposable = row(c, "disposable_ms.p50");
        assertEquals(299.0, disposable.oldValue());
        assertEquals(350.0, disposable.newValue());
        assertEquals(Mark.WORSE, disposable.mark(), "299 -> 350 ms is 17 % worse");
        assertEquals(Mark.BETTER, row(c, "qube_start_ms.p50").mark(), "121.3 -> 98.2 ms is 19 % better");
        assertEquals(Mark.NONE, row(c, "qube_start_ms.p99").mark(), "unchanged");
    }

    @Test
    void aThroughputThatFellIsWorseButAFloorThatMovedIsNeverMarked() throws Exception {
        Comparison c = new Comparison(resource("old.json"), resource("new.json"), 10);
        Row chain = row(c, "network.tcp_throughput_mbit_s.chain_appvm_firewall_netvm");
        assertEquals(Direction.HIGHER_IS_BETTER, chain.direction());
        assertEquals(Mark.WORSE, chain.mark());
        assertEquals(Mark.WORSE, row(c, "network.tcp_throughput_mbit_s.ratio").mark(), "a share of the floor: higher is better");
        Row floor = row(c, "network.tcp_throughput_mbit_s.floor_bare_veth");
        assertTrue(floor.floor());
        assertEquals(Mark.NONE, floor.mark(), "the floor fell by 30 %, but that is the machine");
        assertEquals(Mark.BETTER, row(c, "qube_start_ms.ratio_p50").mark(), "a multiple of the floor: lower is better");
    }

    @Test
    void theThresholdDecides() throws Exception {
        assertEquals(Mark.NONE, row(new Comparison(resource("old.json"), resource("new.json"), 20), "disposable_ms.p50").mark(),
                "17 % is within 20 %");
        assertEquals(Mark.WORSE, row(new Comparison(resource("old.json"), resource("new.json"), 0), "disposable_ms.p50").mark());
    }

    @Test
    void everyNumberOfARealResultHasAKnownDirection() throws Exception {
        for (String file : List.of("old.json", "new.json")) {
            Map<String, Double> numbers = Figures.numbers(resource(file).root());
            assertTrue(numbers.size() > 40, file + " has the figures");
            numbers.keySet().forEach(path -> assertFalse(Figures.direction(path) == Direction.UNKNOWN, path + " of " + file));
            assertFalse(numbers.keySet().stream().anyMatch(p -> p.startsWith("run.")), "the run's facts are no figures");
        }
    }

    @Test
    void twoResultsThatBinBenchRecordedCompareWithEveryFigureKnown() throws Exception {
        BenchFile first = resource("recorded-1.json");
        BenchFile second = resource("recorded-2.json");
        for (BenchFile f : List.of(first, second)) {
            Figures.numbers(f.root()).keySet().forEach(path -> assertFalse(Figures.direction(path) == Direction.UNKNOWN, path + " of " + f.name()));
            assertEquals("4b2cccaadb78c7af03f08b4e96491503cbf0cd56", f.run().path("commit").asText());
        }
        Comparison c = new Comparison(first, second, 10);
        assertEquals(17, c.worse().size(), c.render());
        assertEquals(Mark.WORSE, row(c, "qube_start_ms.ratio_p50").mark(), "2.65 -> 4.01");
        assertEquals(Mark.NONE, row(c, "qube_start_ms.floor_bare_runc_p50").mark(), "a floor: 203.73 -> 644.2, never marked");
        String text = c.render();
        assertTrue(text.contains("only in the new result:\n  scale.* (29 figures)\n"), text);
        assertTrue(text.contains("scale.skipped: \"left out (--scale 0)\" -> (none)"), text);
        assertFalse(text.contains("note: the runs differ"), "the same machine: " + text);
    }

    @Test
    void directionsFollowTheNames() {
        assertEquals(Direction.SETTING, Figures.direction("qube_start_ms.rounds"));
        assertEquals(Direction.SETTING, Figures.direction("qube_start_ms.target_p50"));
        assertEquals(Direction.SETTING, Figures.direction("platform.rss_target_mb"));
        assertEquals(Direction.SETTING, Figures.direction("network.tcp_throughput_mbit_s.target_ratio"));
        assertEquals(Direction.LOWER_IS_BETTER, Figures.direction("platform.rss_after_start_mb"));
        assertEquals(Direction.LOWER_IS_BETTER, Figures.direction("platform.start_to_shell_ready_ms"));
        assertEquals(Direction.LOWER_IS_BETTER, Figures.direction("scale.parallel_start.concurrent_clients.failed"));
        assertEquals(Direction.HIGHER_IS_BETTER, Figures.direction("scale.parallel_start.concurrent_clients.started"));
        assertEquals(Direction.HIGHER_IS_BETTER, Figures.direction("qrexec.copy_mb_per_s.call"));
        assertEquals(Direction.HIGHER_IS_BETTER, Figures.direction("gui.frames_per_s_800x600.continuous.seen_on_dom0"));
        assertEquals(Direction.UNKNOWN, Figures.direction("something.new"));
    }

    @Test
    void failuresFromNoneAreWorseWhateverTheThreshold() throws Exception {
        BenchFile a = BenchFile.parse("a", "{\"platform\":{},\"scale\":{\"parallel_start\":{\"one_command\":{\"failed\":0}}}}");
        BenchFile b = BenchFile.parse("b", "{\"platform\":{},\"scale\":{\"parallel_start\":{\"one_command\":{\"failed\":2}}}}");
        Comparison c = new Comparison(a, b, 50);
        assertEquals(Mark.WORSE, row(c, "scale.parallel_start.one_command.failed").mark());
        assertNull(row(c, "scale.parallel_start.one_command.failed").ratio(), "no ratio to 0");
        assertTrue(c.render().contains("WORSE from 0"), c.render());
    }

    @Test
    void theTextShowsBothSidesTheRatioTheMarksTheRunsAndWhatElseChanged() throws Exception {
        String text = new Comparison(resource("old.json"), resource("new.json"), 10).render();
        assertTrue(text.contains("(no commit or machine recorded)"), text);
        assertTrue(text.contains("commit 4b2ccca1f0e2d3c4b5a697887766554433221100, 2026-12-05T21:25:00Z, Intel(R) Xeon(R) Processor, 2 cores"), text);
        assertTrue(text.lines().anyMatch(l -> l.matches("disposable_ms\\.p50 +299 +350 +1\\.17  WORSE \\+17 %, lower is better")), text);
        assertTrue(text.lines().anyMatch(l -> l.matches("qube_start_ms\\.p50 +121\\.3 +98\\.2 +0\\.81  better -19 %")), text);
        assertTrue(text.lines().anyMatch(l -> l.matches("network\\.tcp_throughput_mbit_s\\.floor_bare_veth +12845 +9000 +0\\.70  \\(floor\\)")), text);
        assertTrue(text.contains("qube_start_ms.rounds 20 -> 10"), text);
        assertTrue(text.contains("only in the new result:\n  gui.* (14 figures)\n  scale.* ("), text);
        assertTrue(text.contains("gui.skipped: \"no bulkhead-debian template in /opt/bulkhead/templates, which the GUI qube runs on\" -> (none)"), text);
        assertTrue(text.strip().endsWith("figures got worse by more than 10 %: disposable_ms.p50, disposable_ms.ratio_p50,"
                + " network.tcp_throughput_mbit_s.chain_appvm_firewall_netvm, network.tcp_throughput_mbit_s.ratio"), text);
        assertFalse(text.contains("run."), "the facts are not figures: " + text);
    }

    @Test
    void aResultComparedWithItselfHasNothingWorse() throws Exception {
        String text = new Comparison(resource("new.json"), resource("new.json"), 10).render();
        assertTrue(text.strip().endsWith("no figure got worse by more than 10 %"), text);
    }

    @Test
    void badOrForeignFilesAreRefusedSayingWhat() throws Exception {
        assertEquals(dir.resolve("none.json") + " does not exist", refusal(dir.resolve("none.json")));
        assertEquals(dir + " is a directory, not a bench result (a .json file that bin/bench wrote)", refusal(dir));
        assertEquals(dir.resolve("e.json") + " is empty, not a bench result", refusal(write("e.json", "\n")));
        assertEquals(dir.resolve("t.json") + " is not JSON: Unexpected end-of-input: expected close marker for Object (start marker at"
                + " [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 1]) (line 2, column 1)",
                refusal(write("t.json", "{\"qube_start_ms\": {\"p50\": 3}\n")));
        assertEquals(dir.resolve("a.json") + " is JSON but not a bench result: its top level is an array, not an object of figures",
                refusal(write("a.json", "[1, 2]")));
        assertEquals(dir.resolve("f.json") + " is JSON but not a bench result: none of console_get_qubes_ms, disposable_ms, platform,"
                + " qube_start_ms, qvm_ls_ms is at its top level (it has name, version, dependencies)",
                refusal(write("f.json", "{\"name\": \"left-pad\", \"version\": \"1.3.0\", \"dependencies\": {}}")));
        assertEquals(dir.resolve("r.json") + ": its \"run\" (the run's commit and machine) is a string, not an object",
                refusal(write("r.json", "{\"platform\": {}, \"run\": \"yesterday\"}")));
        Path binary = dir.resolve("b.json");
        Files.write(binary, new byte[] { (byte) 0xff, (byte) 0xfe, 0, 1 });
        assertEquals(binary + " is not text (not UTF-8), so not a bench result", refusal(binary));
    }

    @Test
    void theToolComparesTwoFilesAndRefusesABadOneWithStatus1() throws Exception {
        Path old = copy("old.json");
        Path bad = write("bad.json", "{\"gui\": ");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        BenchHistory tool = new BenchHistory(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, tool.run(List.of("compare", "--threshold", "5", old.toString(), copy("new.json").toString())), err.toString());
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("got worse by more than 5 %"), out.toString());
        assertEquals(1, tool.run(List.of("compare", old.toString(), bad.toString())));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("bench: " + bad + " is not JSON: "), err.toString());
        err.reset();
        assertEquals(2, tool.run(List.of("compare", "--threshold", "lots", old.toString(), old.toString())));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("bench: --threshold takes a percentage, such as 10, not 'lots'"), err.toString());
        assertEquals(2, tool.run(List.of("compare", old.toString())));
    }

    @Test
    void aRecordedResultHoldsTheFiguresAndTheRunAndIsNamedByTimeAndCommit() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode run = (ObjectNode) json.readTree("{\"commit\": \"4b2ccca1f0e2d3c4b5a69788\", \"started\": \"2026-12-05T21:25:07Z\"}");
        ObjectNode figures = resource("old.json").root();
        Path first = BenchHistory.write(dir.resolve("bench"), run, figures);
        Path second = BenchHistory.write(dir.resolve("bench"), run, figures);
        assertEquals("bench-20261205T212507Z-4b2ccca1f0e2.json", first.getFileName().toString());
        assertEquals("bench-20261205T212507Z-4b2ccca1f0e2-2.json", second.getFileName().toString(), "never over an earlier result");
        BenchFile back = BenchFile.read(first);
        assertEquals("4b2ccca1f0e2d3c4b5a69788", back.run().path("commit").asText());
        assertEquals(figures, back.root().deepCopy().without(BenchFile.RUN));
        assertEquals(BenchFile.RUN, back.root().fieldNames().next(), "the run first, for a reader");
    }

    @Test
    void machineFactsAreReadFromProcFormats() {
        assertEquals("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", MachineFacts.cpuModel("""
                processor\t: 0
                vendor_id\t: GenuineIntel
                model name\t: Intel(R) Xeon(R)  Platinum 8375C CPU @ 2.90GHz
                processor\t: 1
                model name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz
                """));
        assertEquals("unknown", MachineFacts.cpuModel("processor : 0\n"));
        assertEquals(24036, MachineFacts.memoryMb("MemTotal:       24613376 kB\nMemFree:         1000 kB\n"));
        assertEquals("2.44 1.37 1.54", MachineFacts.loadAverage("2.44 1.37 1.54 3/812 123456\n"));
    }

    @Test
    void theFactsOfThisMachineAndAnInstallationWithoutBuildFactsSayUnknown() throws Exception {
        ObjectNode facts = MachineFacts.collect(dir);
        assertEquals("unknown", facts.path("commit").asText());
        assertEquals(Runtime.getRuntime().availableProcessors(), facts.path("machine").path("cores").asInt());
        assertTrue(facts.path("machine").path("load_average").asText().matches("[0-9.]+ [0-9.]+ [0-9.]+"), facts.toString());
        Files.createDirectories(dir.resolve("lib"));
        Files.writeString(dir.resolve(MachineFacts.BUILD_FILE), "commit=0123456789abcdef0123456789abcdef01234567\ndirty=true\n");
        ObjectNode built = MachineFacts.collect(dir);
        assertEquals("0123456789abcdef0123456789abcdef01234567", built.path("commit").asText());
        assertTrue(built.path("dirty").asBoolean());
    }

    private String refusal(Path file) {
        return assertThrows(BadBenchFile.class, () -> BenchFile.read(file)).getMessage();
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private Path copy(String name) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/history/" + name)) {
            Path file = dir.resolve(name);
            Files.write(file, in.readAllBytes());
            return file;
        }
    }

    private static BenchFile resource(String name) throws IOException, BadBenchFile {
        try (InputStream in = ComparisonTest.class.getResourceAsStream("/history/" + name)) {
            return BenchFile.parse(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private static Row row(Comparison c, String figure) {
        return c.rows().stream().filter(r -> r.figure().equals(figure)).findFirst().orElseThrow(() -> new AssertionError("no " + figure));
    }
}
