package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.VolumeRevision;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.api.hypervisor.VolumeStorage;
import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.SystemTest;

/**
 * The private volume's life on real QEMU guests under TCG: what a guest writes in its {@code /home} is kept as a
 * revision before its next start, a revert brings it back, a grown volume is a bigger file system in the guest, and a
 * clone's guest finds its source's data. The lock probe that keeps running guests' disks from being grown or copied
 * is tried on real QEMUs too. Four boots in all.
 */
@SystemTest
class QemuVolumesSystemTest {
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(20);
    private static final byte[] NO_INPUT = new byte[0];
    private static final long SIZE = 64L << 20;

    @TempDir
    Path temp;
    private final List<String> started = new ArrayList<>();
    private QemuBackend backend;

    @BeforeAll
    static void requireImage() {
        QemuBackendSystemTest.requireImage();
    }

    @AfterEach
    void destroyEverythingStarted() {
        AssertionError failure = null;
        for (String name : started) {
            try {
                backend.destroy(name);
            } catch (RuntimeException e) {
                failure = failure == null ? new AssertionError("cleanup failed") : failure;
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void start(String name, int qid, VolumeSpec privateVolume) {
        if (!started.contains(name)) {
            started.add(name);
        }
        backend.start(new DomainSpec(name, qid, QubeClass.AppVM, 200, 200, 1, "", false,
                List.of(privateVolume, VolumeSpec.fresh(VolumeSpec.VOLATILE, temp.resolve("volumes/" + name + "/volatile"), SIZE))));
    }

    private String run(String name, String script) {
        ExecResult r = backend.exec(name, List.of("sh", "-c", script), NO_INPUT, EXEC_TIMEOUT);
        assertEquals(0, r.exitStatus(), "exit status of '" + script + "'; stderr: " + r.stderrText());
        return r.stdoutText();
    }

    /** The size of the file system the guest has at /rw, in KiB, as its df tells. */
    private long guestKiB(String name) {
        String[] df = run(name, "df -k /rw | tail -n 1").strip().split("\\s+");
        return Long.parseLong(df[1]);
    }

    @Test
    void aRevisionRevertGrowthAndCloneOfAPrivateVolumeAreWhatTheGuestsSee() {
        backend = new QemuBackend(temp.resolve("data"), QemuBackendSystemTest.tcgSettings(), HostPaths.system(), new ProcessHostCommands());
        VolumeStorage volumes = backend.volumes();
        VolumeSpec work = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("volumes/work/private"), SIZE, 2);

        start("work", 7, work);
        run("work", "echo first > /home/note && sync");
        long before = guestKiB("work");
        backend.shutdown("work", Duration.ofSeconds(30));

        start("work", 7, work);
        assertEquals("first\n", run("work", "cat /home/note"));
        InvalidStateException growing = assertThrows(InvalidStateException.class, () -> volumes.resize("work", work, 2 * SIZE));
        assertTrue(growing.getMessage().contains("in use by a running QEMU"), growing.getMessage());
        VolumeSpec clone = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("volumes/clone/private"), SIZE, 0);
        assertThrows(InvalidStateException.class, () -> volumes.copy(work, clone), "the disk of a running guest is not copied");
        run("work", "echo second > /home/note && sync");
        backend.shutdown("work", Duration.ofSeconds(30));

        List<VolumeRevision> revisions = volumes.revisions(work);
        assertEquals(2, revisions.size(), "the content before each of the two starts: " + revisions);
        volumes.revert(work, null);
        volumes.resize("work", work, 2 * SIZE);
        volumes.copy(work, clone);

        start("work", 7, work);
        assertEquals("first\n", run("work", "cat /home/note"), "the newest revision is the content the second start began with");
        long after = guestKiB("work");
        assertTrue(after > before + (SIZE >> 10) / 2, "the guest's file system grew from " + before + " KiB to " + after + " KiB");
        backend.shutdown("work", Duration.ofSeconds(30));

        start("clone", 8, clone);
        assertEquals("first\n", run("clone", "cat /home/note"), "the clone has its source's private data");
        assertEquals(after, guestKiB("clone"), "and its size");
    }

    /** The probe sees a QEMU that writes an image and one that reads it in snapshot mode (a disposable's), and neither once it ended. */
    @Test
    void theLockProbeSeesAWritingAndASnapshotQemuUntilTheyEnd() throws IOException {
        ProcessHostCommands host = new ProcessHostCommands();
        Path image = temp.resolve("private.img");
        new dev.bulkhead.volume.store.VolumeCommands(host, EXEC_TIMEOUT).makeImage(image, SIZE);
        assertFalse(DiskLocks.inUse(image));
        for (String mode : List.of("", ",snapshot=on")) {
            Path pidFile = temp.resolve("qemu" + mode.length() + ".pid");
            host.runOrThrow(HostCommand.of(EXEC_TIMEOUT, "qemu-system-x86_64", "-S", "-display", "none", "-nodefaults", "-daemonize",
                    "-pidfile", pidFile.toString(), "-drive", "file=" + image + ",format=raw,if=virtio" + mode));
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            try {
                assertTrue(DiskLocks.inUse(image), "QEMU " + pid + " has the image open" + mode);
            } finally {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            Await.until("QEMU " + pid + " ends", Duration.ofSeconds(10),
                    () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true) || !DiskLocks.inUse(image));
            assertFalse(DiskLocks.inUse(image), "free again once QEMU" + mode + " ended");
        }
    }
}
