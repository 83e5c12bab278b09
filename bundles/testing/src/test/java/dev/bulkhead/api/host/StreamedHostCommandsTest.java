package dev.bulkhead.api.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.testing.Await;

/** {@link HostCommands#stream(HostCommand)} of the real implementation, with ordinary host programs. */
class StreamedHostCommandsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Long enough for any line a test waits for on a loaded machine. */
    private static final Duration LINE = Duration.ofSeconds(10);

    private final HostCommands host = new ProcessHostCommands();

    @Test
    void eachLineComesWhileTheProgramRunsAndItsStdinTakesWhatIsWritten() {
        try (HostCommands.Streaming cat = host.stream(HostCommand.of(TIMEOUT, "cat").withStdinHeldOpen())) {
            cat.write("one\n");
            // cat still runs, its stdin open: the line came as it was written, not at the end
            assertEquals(Optional.of("one"), cat.nextLine(LINE));
            assertTrue(cat.isAlive());

            cat.write("two\nthree");
            cat.closeStdin();

            assertEquals(Optional.of("two"), cat.nextLine(LINE));
            assertEquals(Optional.of("three"), cat.nextLine(LINE), "a last line without a newline");
            assertTrue(cat.waitFor(LINE), "cat ends at the end of its input");
            assertEquals(Optional.empty(), cat.nextLine(LINE));
            assertTrue(cat.outputEnded());
            HostCommandResult result = cat.await();
            assertEquals(0, result.exitStatus());
            assertEquals(0, result.stdout().length, "the lines went to the reader");
            assertFalse(result.stdoutTruncated());
        }
    }

    @Test
    void theCommandsOwnInputComesBeforeWhatIsWritten() {
        try (HostCommands.Streaming cat = host.stream(HostCommand.of(TIMEOUT, "cat").withStdin("first\n".getBytes())
                .withStdinHeldOpen())) {
            cat.write("second\n");

            assertEquals(Optional.of("first"), cat.nextLine(LINE));
            assertEquals(Optional.of("second"), cat.nextLine(LINE));
        }
    }

    @Test
    void aLineLongerThanTheBoundIsCutAndTheNextLineIsWhole() {
        try (HostCommands.Streaming p = host.stream(sh("head -c 50000 /dev/zero | tr '\\0' a; echo; echo next"))) {
            String cut = p.nextLine(LINE).orElseThrow();
            assertEquals(HostCommands.Streaming.MAX_LINE_BYTES, cut.length());
            assertTrue(cut.chars().allMatch(c -> c == 'a'), "the line's start, nothing else");
            assertEquals(Optional.of("next"), p.nextLine(LINE));

            assertTrue(p.await().stdoutTruncated(), "the cut is said");
        }
    }

    @Test
    void linesPastTheCommandsOutputCapAreDroppedAndSaidSo() {
        try (HostCommands.Streaming p = host.stream(sh("printf 'one\\ntwo\\nthree\\nfour\\n'").withOutputCap(10))) {
            assertEquals(Optional.of("one"), p.nextLine(LINE));
            assertEquals(Optional.of("two"), p.nextLine(LINE));
            assertEquals(Optional.empty(), p.nextLine(LINE), "'three' would make 14 bytes of the 10");
            assertTrue(p.outputEnded());

            HostCommandResult result = p.await();
            assertEquals(0, result.exitStatus());
            assertTrue(result.stdoutTruncated());
        }
    }

    @Test
    void aReaderThatLagsNeverHoldsTheProgramUpAndWhatWaitsStaysBounded() {
        // about 2 MB of lines, twice what may wait, and nobody reads until the program has ended
        try (HostCommands.Streaming seq = host.stream(HostCommand.of(TIMEOUT, "seq", "1", "300000"))) {
            assertTrue(seq.waitFor(TIMEOUT), "seq was held up by its reader");

            List<Integer> taken = new ArrayList<>();
            for (Optional<String> line = seq.nextLine(LINE); line.isPresent(); line = seq.nextLine(LINE)) {
                taken.add(Integer.valueOf(line.get()));
            }
            // before any was taken, lines 1 to k waited, as many as fit; k + 1 was the first dropped
            int k = 0;
            long waited = 0;
            while (k < taken.size() && taken.get(k) == k + 1) {
                waited += Integer.toString(k + 1).length() + 1;
                k++;
            }
            assertTrue(waited <= HostCommands.Streaming.MAX_WAITING_BYTES && waited > HostCommands.Streaming.MAX_WAITING_BYTES - 8,
                    "lines 1 to " + k + " waited: " + waited + " bytes");
            assertTrue(taken.size() < 300000, "lines were dropped");
            for (int i = 1; i < taken.size(); i++) {
                assertTrue(taken.get(i) > taken.get(i - 1), "in the order they were written: " + taken.get(i - 1) + ", " + taken.get(i));
            }
            assertTrue(seq.outputEnded());
            assertTrue(seq.await().stdoutTruncated());
        }
    }

    @Test
    void closeKillsTheProgramWithWhatItStartedAndEndsItsLines() {
        HostCommands.Streaming tree = host.stream(sh("sleep 300 & echo $!; wait"));
        long grandchild = Long.parseLong(tree.nextLine(LINE).orElseThrow());
        WatchedProcess sleeper = WatchedProcess.of(grandchild).orElseThrow();

        tree.close();

        assertFalse(tree.isAlive());
        assertTrue(sleeper.awaitExit(LINE), "the grandchild was killed");
        assertTrue(tree.outputEnded(), "a reader does not wait for lines that will not come");
    }

    @Test
    void waitingForAProgramThatRunsOnLeavesItRunning() {
        try (HostCommands.Streaming sleep = host.stream(HostCommand.of(TIMEOUT, "sleep", "300"))) {
            assertFalse(sleep.waitFor(Duration.ofMillis(100)));
            assertEquals(Optional.empty(), sleep.nextLine(Duration.ofMillis(100)), "no line came in time");
            assertFalse(sleep.outputEnded(), "and one still may");
            assertTrue(sleep.isAlive());
        }
    }

    @Test
    void awaitLinePassesOverTheLinesBeforeTheWantedOne() {
        try (HostCommands.Streaming p = host.stream(sh("printf 'a\\nb\\nwanted c\\nd\\n'"))) {
            assertEquals(Optional.of("wanted c"), p.awaitLine(l -> l.startsWith("wanted"), LINE));
            assertEquals(Optional.of("d"), p.nextLine(LINE));
            assertEquals(Optional.empty(), p.awaitLine(l -> true, LINE));
        }
    }

    @Test
    void stderrIsKeptForTheResultApartFromTheLines() {
        try (HostCommands.Streaming p = host.stream(sh("echo out; echo err >&2; exit 3"))) {
            assertEquals(Optional.of("out"), p.nextLine(LINE));
            assertEquals(Optional.empty(), p.nextLine(LINE));

            HostCommandResult result = p.await();
            assertEquals(3, result.exitStatus());
            assertEquals("err\n", result.stderrText());
        }
    }

    @Test
    void aStdinNotHeldOpenOrClosedCannotBeWritten() {
        try (HostCommands.Streaming cat = host.stream(HostCommand.of(TIMEOUT, "cat"))) {
            assertThrows(IllegalStateException.class, () -> cat.write("x\n"));
            assertTrue(cat.waitFor(LINE), "cat read /dev/null and ended");
        }
        try (HostCommands.Streaming cat = host.stream(HostCommand.of(TIMEOUT, "cat").withStdinHeldOpen())) {
            cat.closeStdin();
            assertThrows(IllegalStateException.class, () -> cat.write("x\n"));
        }
    }

    @Test
    void writingToAProgramThatNoLongerReadsItsStdinIsAnAdminError() {
        try (HostCommands.Streaming p = host.stream(sh("exec 0<&-; echo closed; exec sleep 300").withStdinHeldOpen())) {
            assertEquals(Optional.of("closed"), p.nextLine(LINE));

            AdminException e = assertThrows(AdminException.class, () -> p.write("x\n"));
            assertTrue(e.getMessage().contains("does not read its stdin"), e.getMessage());
        }
    }

    @Test
    void aStreamedCommandCannotSendItsOutputToAFile() {
        assertThrows(IllegalArgumentException.class, () -> host.stream(HostCommand.of(TIMEOUT, "true").withOutputTo(Path.of("/tmp/x"))));
    }

    @Test
    void aProgramThatEndsByItselfEndsItsLinesOnceTheyAreTaken() {
        try (HostCommands.Streaming p = host.stream(sh("echo only"))) {
            Await.until("echo to end", () -> !p.isAlive());

            assertFalse(p.outputEnded(), "a line still waits");
            assertEquals(Optional.of("only"), p.nextLine(LINE));
            Await.until("the lines to end", p::outputEnded);
            assertEquals(0, p.onExit().join().exitStatus());
        }
    }

    private static HostCommand sh(String script) {
        return HostCommand.of(TIMEOUT, "sh", "-c", script);
    }
}
