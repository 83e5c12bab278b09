package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.Before;
import org.junit.Test;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;

/** What a process inside a running lite qube can and cannot see or change. */
public class IsolationIT extends BulkheadTestSupport {
    private static final String QUBE = "iso";

    @Before
    public void startQube() {
        admin().create(new QubeSpec(QUBE, QubeClass.AppVM, Label.ORANGE, Map.of()));
        admin().start(QUBE);
        assertEquals(PowerState.Running, admin().get(QUBE).state());
    }

    @Test
    public void seesOnlyItsOwnProcesses() {
        List<String> pids = Arrays.stream(runOk(QUBE, "ls", "/proc").split("\\s+")).filter(s -> s.matches("[0-9]+")).toList();
        assertTrue("pid 1 is visible: " + pids, pids.contains("1"));
        assertFalse("the test JVM's pid " + ProcessHandle.current().pid() + " is visible: " + pids,
                pids.contains(Long.toString(ProcessHandle.current().pid())));
        assertTrue("a handful of processes, not the host's: " + pids, pids.size() < 10);

        String hostInit = readHost(Path.of("/proc/1/cmdline"));
        String init = runOk(QUBE, "cat", "/proc/1/cmdline");
        assertNotEquals("pid 1 inside is the host's init", hostInit, init);
        assertEquals("pid 1 inside is the qube's init, the container's first process",
                readHost(Path.of("/proc", Long.toString(containerInitPid(QUBE)), "cmdline")), init);

        String ps = runOk(QUBE, "ps", "-o", "pid,args");
        assertFalse("ps shows a java process:\n" + ps, ps.contains("java"));
        String cmdlines = runOk(QUBE, "sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '");
        assertFalse("a java command line is visible: " + cmdlines, cmdlines.contains("java"));
    }

    @Test
    public void hostDataDirectoryAndRootHomeAreNotVisible() throws IOException {
        Path dataMarker = dataDir().resolve("host-only-" + UUID.randomUUID());
        Path rootMarker = Path.of("/root", ".bulkhead-it-" + UUID.randomUUID());
        Files.writeString(dataMarker, "host");
        Files.writeString(rootMarker, "host");
        try {
            assertEquals("test -e " + dataMarker + " inside", 1, run(QUBE, "test", "-e", dataMarker.toString()).exitStatus());
            assertEquals("test -e " + dataDir().resolve("qubes.json") + " inside", 1,
                    run(QUBE, "test", "-e", dataDir().resolve("qubes.json").toString()).exitStatus());
            assertEquals("test -e " + rootMarker + " inside", 1, run(QUBE, "test", "-e", rootMarker.toString()).exitStatus());
            assertEquals("/root inside is empty", "", runOk(QUBE, "ls", "-A", "/root").strip());
        } finally {
            Files.deleteIfExists(dataMarker);
            Files.deleteIfExists(rootMarker);
        }
    }

    @Test
    public void rootIsReadOnlyAndRwSurvivesARestart() {
        ExecResult intoRoot = run(QUBE, "sh", "-c", "echo x > /bulkhead-it-write");
        assertNotEquals("writing to / succeeded", 0, intoRoot.exitStatus());
        assertTrue("why writing to / failed: " + intoRoot.stderrText(), intoRoot.stderrText().contains("Read-only file system"));
        ExecResult intoEtc = run(QUBE, "touch", "/etc/bulkhead-it-write");
        assertNotEquals("writing to /etc succeeded", 0, intoEtc.exitStatus());

        String token = UUID.randomUUID().toString();
        runOk(QUBE, "sh", "-c", "echo " + token + " > /rw/it-token && echo boot > /tmp/it-boot");

        admin().restart(QUBE, QUBE_TIMEOUT);
        assertEquals(PowerState.Running, admin().get(QUBE).state());
        assertEquals("/tmp is fresh after the restart", 1, run(QUBE, "test", "-e", "/tmp/it-boot").exitStatus());
        assertEquals("/rw/it-token after the restart", token, runOk(QUBE, "cat", "/rw/it-token").strip());
    }
}
