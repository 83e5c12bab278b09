package dev.bulkhead.backend.lite.internal;

import static dev.bulkhead.backend.lite.internal.FakeLiteHost.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;

/** Building the built-in root from a stand-in busybox; the system tests boot the real one. */
class BuiltinRootfsTest {
    @TempDir
    Path temp;
    private Path busybox;
    private Path target;
    private FakeLiteHost executor;

    @BeforeEach
    void setUp() throws IOException {
        busybox = Files.writeString(temp.resolve("busybox"), "not really busybox");
        target = temp.resolve("lite/rootfs");
        Files.createDirectories(target.getParent());
        executor = new FakeLiteHost(temp.resolve("netns"), temp.resolve("runc"));
    }

    @Test
    void theRootHasBusyboxWithItsAppletsUsersAndTheInit() throws IOException {
        executor.answer("--list", ok("sh\nsleep\n[\nbusybox\n"));

        Path root = rootfs().ensure();

        assertEquals(target, root);
        assertEquals("not really busybox", Files.readString(root.resolve("bin/busybox")));
        assertEquals(Path.of("busybox"), Files.readSymbolicLink(root.resolve("bin/sh")));
        assertEquals(Path.of("busybox"), Files.readSymbolicLink(root.resolve("bin/[")));
        assertFalse(Files.isSymbolicLink(root.resolve("bin/busybox")));
        assertTrue(Files.readString(root.resolve("etc/passwd")).contains("user:x:1000:1000:user:/home/user:/bin/sh"));
        assertTrue(Files.readString(root.resolve("etc/group")).contains("user:x:1000:"));
        assertTrue(Files.readString(root.resolve("etc/passwd")).contains("tor:x:60101:60101:"));
        assertTrue(Files.readString(root.resolve("etc/group")).contains("tor:x:60101:"));
        assertEquals(BuiltinRootfs.INIT_SCRIPT, Files.readString(root.resolve("sbin/qube-init")));
        assertTrue(Files.isExecutable(root.resolve("sbin/qube-init")));
        for (String mountPoint : new String[] { "proc", "sys", "dev", "tmp", "run", "rw", "home" }) {
            assertTrue(Files.isDirectory(root.resolve(mountPoint)), mountPoint);
        }
        assertEquals(Path.of("../run"), Files.readSymbolicLink(root.resolve("var/run")));
    }

    @Test
    void anExistingRootIsKeptAndNothingIsRun() throws IOException {
        executor.answer("--list", ok("sh\n"));
        rootfs().ensure();

        rootfs().ensure();

        assertEquals(1, executor.commands().size());
    }

    @Test
    void anAppletListThatIsNotFileNamesIsRefused() {
        executor.answer("--list", ok("sh\n../../etc/x\n"));

        assertThrows(AdminException.class, () -> rootfs().ensure());

        assertFalse(Files.exists(target));
    }

    @Test
    void aHalfBuiltTreeNeverTakesTheFinalName() throws IOException {
        executor.answer("--list", ok("sh\n"));
        Files.delete(busybox);

        assertThrows(AdminException.class, () -> rootfs().ensure());

        assertFalse(Files.exists(target));
        assertFalse(Files.exists(temp.resolve("lite/rootfs.building")));
    }

    @Test
    void aBuildAfterACrashReplacesTheLeftoverStaging() throws IOException {
        Files.createDirectories(temp.resolve("lite/rootfs.building/junk"));
        executor.answer("--list", ok("sh\n"));

        rootfs().ensure();

        assertFalse(Files.exists(target.resolve("junk")));
        assertFalse(Files.exists(temp.resolve("lite/rootfs.building")));
    }

    private BuiltinRootfs rootfs() {
        return new BuiltinRootfs(target, busybox.toString(), List.of(), executor, Duration.ofSeconds(5));
    }
}
