package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import dev.bulkhead.bench.crash.CrashLoop;

/**
 * The distribution killed with {@code kill -9} at random moments, mid-start and mid-kill among them, over
 * at least 100 rounds of random writes (a fixed seed; {@code -Dbulkhead.it.crash.rounds} for more, or
 * {@code bin/bench --crash N}): after each restart the state loads, no acknowledged write is lost, and
 * nothing of the lite backend is left on the host that no running qube owns.
 */
public class CrashConsistencyIT {
    private static final long SEED = 20261204;
    private static final int ROUNDS = Integer.getInteger("bulkhead.it.crash.rounds", 100);

    private Path home;
    private CrashLoop loop;

    @Before
    public void copyTheDistribution() throws IOException {
        home = DistroCopy.make("bulkhead-crash-");
    }

    @After
    public void removeIt() throws IOException {
        try {
            if (loop != null) {
                loop.close();
            }
        } finally {
            DistroCopy.delete(home);
        }
    }

    @Test
    public void killsAtRandomMomentsLoseNoAcknowledgedWriteAndLeakNothing() throws IOException {
        Path course = Files.createDirectories(Path.of(System.getProperty("bulkhead.it.output", "target"))).resolve("crash-consistency.log");
        CrashLoop.Report report;
        try (PrintStream log = new PrintStream(Files.newOutputStream(course), true, StandardCharsets.UTF_8)) {
            loop = new CrashLoop(home, SEED, log);
            report = loop.run(ROUNDS);
            log.println(report.toJson());
        }
        String where = " (each round's course: " + course + ")";

        assertEquals("problems" + where, List.of(), report.problems());
        assertEquals("acknowledged writes lost" + where, List.of(), report.lostWrites());
        assertEquals("items left on the host that no running qube owns" + where, List.of(), report.leakedItems());
        // the loop did what it is for: writes were acknowledged, kills cut starts and kills off, crashes left things behind
        // (about 10 of each in 100 rounds here, so these bounds hold for any timing)
        assertTrue(report.toJson(), report.acknowledgedWrites() >= ROUNDS / 2);
        assertTrue(report.toJson(), report.cutOff().getOrDefault("qvm:start", 0) + report.cutOff().getOrDefault("qvm:kill", 0) >= 5);
        assertTrue(report.toJson(), report.removedAtTakeOver() > 0);
    }
}
