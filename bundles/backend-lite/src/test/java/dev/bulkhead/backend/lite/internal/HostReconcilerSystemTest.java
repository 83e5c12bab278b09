package dev.bulkhead.backend.lite.internal;

import static dev.bulkhead.backend.lite.internal.LiteBackendSystemTest.cgroupsOf;
import static dev.bulkhead.backend.lite.internal.LiteBackendSystemTest.layoutOf;
import static dev.bulkhead.backend.lite.internal.LiteBackendSystemTest.netnsFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.Leftover;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.SystemTest;

/**
 * Take-over against the real host: every kind of leftover a crash of the platform leaves is made for real
 * (a stopped container, a namespace with a veth, a shared runtime mount, a tmpfs, loop mounts, an overlay root,
 * an attached loop device, a cgroup with a stray process), then a new backend on the same data directory reconciles.
 * Needs root. The twin of {@link LeftoverPlanTest}.
 */
@SystemTest
class HostReconcilerSystemTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path temp;
    private final ProcessHostCommands host = new ProcessHostCommands();
    private final List<LiteBackend> backends = new ArrayList<>();
    private Process stray;

    @AfterEach
    void removeEverything() {
        if (stray != null) {
            stray.destroyForcibly();
        }
        for (LiteBackend b : backends) {
            b.reconcile(Set.of());
            b.domains().forEach(d -> b.destroy(d.name()));
        }
    }

    @Test
    void takeOverRemovesEveryKindOfLeftoverAndLeavesRunningQubesAndOtherInstancesAlone() throws Exception {
        Path data = temp.resolve("data");
        InstanceLayout layout = layoutOf(data);
        LiteBackend crashed = backendOn(data);
        crashed.start(spec("keep-me", privateVolume("keep-me")));
        assertEquals(0, crashed.exec("keep-me", List.of("sh", "-c", "echo mine > /rw/home/note"), new byte[0], TIMEOUT).exitStatus());
        // mid-kill: runc deleted the container, the rest was not reached
        crashed.start(spec("killed", privateVolume("killed"), VolumeSpec.fresh(VolumeSpec.VOLATILE, temp.resolve("vol"), 32L << 20)));
        sh("runc", "--root", layout.runcRoot().toString(), "delete", "--force", "killed");
        // its init died by itself: runc keeps a stopped container
        crashed.start(spec("dead"));
        sh("runc", "--root", layout.runcRoot().toString(), "kill", "dead", "KILL");
        Await.until("dead's init is gone", Duration.ofSeconds(5), () -> crashed.state("dead") == PowerState.Halted);
        // mid-start: namespace, mounts, devices and cgroup made by hand as a start makes them, runc never ran
        String ghostNetns = layout.netnsName("ghost");
        sh("ip", "netns", "add", ghostNetns);
        sh("ip", "-n", ghostNetns, "link", "add", "vif9.0", "type", "veth", "peer", "name", "eth0");
        Path runtime = Files.createDirectories(layout.volumesDirectory("ghost"));
        sh("mount", "--bind", "--make-shared", runtime.toString(), runtime.toString());
        Path scratch = Files.createDirectories(runtime.resolve("volatile"));
        sh("mount", "-t", "tmpfs", "-o", "size=64m", "bulkhead-volatile", scratch.toString());
        Path scratchImage = image(scratch.resolve("volatile.img"));
        Path privateImage = image(Files.createDirectories(data.resolve("qubes/ghost/private")).resolve("private.img"));
        Path volatileMount = Files.createDirectories(runtime.resolve("volatile-disk"));
        sh("mount", "-o", "loop", scratchImage.toString(), volatileMount.toString());
        Path privateMount = Files.createDirectories(runtime.resolve("private"));
        sh("mount", "-o", "loop", privateImage.toString(), privateMount.toString());
        Path lower = Files.createDirectories(temp.resolve("ghost-root"));
        Path overlayRoot = Files.createDirectories(runtime.resolve("root"));
        sh("mount", "-t", "overlay", "-o", "lowerdir=" + lower + ",upperdir=" + Files.createDirectories(scratch.resolve("root-upper"))
                + ",workdir=" + Files.createDirectories(scratch.resolve("root-work")), "bulkhead-root", overlayRoot.toString());
        Path spare = image(data.resolve("qubes/ghost/spare.img"));
        String spareDevice = sh("losetup", "--find", "--show", spare.toString()).strip();
        List<Path> ghostCgroups = new ArrayList<>();
        for (Path hierarchy : hierarchies()) {
            ghostCgroups.add(Files.createDirectories(hierarchy.resolve(layout.cgroupsPath("ghost").substring(1))));
        }
        stray = new ProcessBuilder("sleep", "600").start();
        Files.writeString(ghostCgroups.get(0).resolve("cgroup.procs"), Long.toString(stray.pid()));
        // another instance on the same host with a qube of the same name
        Path otherData = temp.resolve("other");
        LiteBackend other = backendOn(otherData);
        other.start(spec("ghost"));

        LiteBackend restarted = backendOn(data);
        List<Leftover> report = restarted.reconcile(Set.of("keep-me"));

        assertTrue(report.stream().allMatch(Leftover::isRemoved), report.toString());
        assertReported(report, "process", Long.toString(stray.pid()));
        assertReported(report, "runc container", "dead");
        assertReported(report, "network namespace", ghostNetns);
        assertReported(report, "link", ghostNetns + ":vif9.0");
        assertReported(report, "link", ghostNetns + ":eth0");
        assertReported(report, "network namespace", layout.netnsName("killed"));
        assertReported(report, "network namespace", layout.netnsName("dead"));
        for (Path mount : List.of(runtime, scratch, volatileMount, privateMount, overlayRoot,
                layout.volumesDirectory("killed").resolve("private"))) {
            assertReported(report, "mount", mount.toString());
        }
        assertReported(report, "loop device", spareDevice);
        assertReported(report, "cgroup", layout.cgroupsPath("ghost"));
        assertTrue(stray.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the stray process is killed");
        for (String gone : List.of("ghost", "killed", "dead")) {
            assertFalse(Files.exists(netnsFile(data, gone)), gone + "'s namespace");
            assertEquals(List.of(), mountsBelow(layout.domainDirectory(gone)), gone + "'s mounts");
            assertEquals(List.of(), cgroupsOf(data, gone), gone + "'s cgroups");
        }
        assertFalse(Files.exists(layout.runcRoot().resolve("dead")));
        for (Path file : List.of(privateImage, spare, temp.resolve("private/killed/private.img"))) {
            assertEquals("", sh("losetup", "--noheadings", "--associated", file.toString()), file + " is attached");
            assertTrue(Files.exists(file), "volume files stay: " + file);
        }
        assertEquals(PowerState.Running, restarted.state("keep-me"));
        assertEquals("mine\n", restarted.exec("keep-me", List.of("cat", "/rw/home/note"), new byte[0], TIMEOUT).stdoutText());
        assertTrue(Files.exists(netnsFile(data, "keep-me")));
        assertFalse(cgroupsOf(data, "keep-me").isEmpty());
        assertTrue(report.stream().noneMatch(l -> l.item().contains("keep-me")), report.toString());
        assertEquals(PowerState.Running, other.state("ghost"));
        assertTrue(Files.exists(netnsFile(otherData, "ghost")));
        assertFalse(cgroupsOf(otherData, "ghost").isEmpty());

        assertEquals(List.of(), restarted.reconcile(Set.of("keep-me")), "a second take-over finds nothing left");
    }

    private static void assertReported(List<Leftover> report, String kind, String item) {
        assertTrue(report.stream().anyMatch(l -> l.kind().equals(kind) && l.item().equals(item) && !l.reason().isEmpty()),
                kind + " " + item + " not in " + report);
    }

    private LiteBackend backendOn(Path data) {
        LiteBackend b = new LiteBackend(data, LiteBackendSystemTest.SETTINGS, host, HostPaths.system());
        backends.add(b);
        return b;
    }

    private static DomainSpec spec(String name, VolumeSpec... volumes) {
        return new DomainSpec(name, 7, QubeClass.AppVM, 64, 64, 1, "", false, List.of(volumes));
    }

    private VolumeSpec privateVolume(String name) {
        return VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("private").resolve(name), 32L << 20, 0);
    }

    private Path image(Path file) {
        sh("truncate", "-s", "20M", file.toString());
        sh("mkfs.ext4", "-q", "-F", file.toString());
        return file;
    }

    private String sh(String... argv) {
        return host.runOrThrow(HostCommand.of(TIMEOUT, List.of(argv))).stdoutText();
    }

    private static List<String> mountsBelow(Path directory) {
        return new MountTable(Path.of("/proc")).below(directory).stream().map(m -> m.mountPoint().toString()).toList();
    }

    private static List<Path> hierarchies() throws IOException {
        try (Stream<Path> entries = Files.list(Path.of("/sys/fs/cgroup"))) {
            List<Path> dirs = entries.filter(p -> Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).sorted().toList();
            return Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers")) ? List.of(Path.of("/sys/fs/cgroup")) : dirs;
        }
    }
}
