package dev.bulkhead.backend.lite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.VolumeRevision;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.SystemTest;

/**
 * Volumes against the real mount, overlayfs, tmpfs, loop devices and ext4: needs root. Every domain a
 * test starts is destroyed afterwards, whether the test passed or not.
 */
@SystemTest
class LiteVolumesSystemTest {
    private static final long MIB = 1 << 20;
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path temp;
    private Path data;
    private LiteBackend backend;
    private final List<String> started = new ArrayList<>();
    private Path templateRoot;

    @BeforeEach
    void setUp() {
        data = temp.resolve("data");
        backend = new LiteBackend(data, LiteBackendSystemTest.SETTINGS, new ProcessHostCommands(), HostPaths.system());
        templateRoot = temp.resolve("qubes/tpl/root");
        new BuiltinRootfs(templateRoot.resolve(LiteVolumes.TREE), "/bin/busybox", List.of(), new ProcessHostCommands(),
                Duration.ofSeconds(30)).ensure();
    }

    @AfterEach
    void destroyEverythingStarted() {
        started.forEach(backend::destroy);
        assertEquals(List.of(), mountsBelow(temp), "nothing stays mounted");
        assertEquals(List.of(), loopDevicesBelow(temp), "no loop device stays attached");
    }

    @Test
    void anAppVmWritesToItsRootThenFindsItAsTheTemplateHasItAfterARestart() throws IOException {
        DomainSpec app = domain("work", VolumeSpec.snapshotOf(VolumeSpec.ROOT, templateRoot, 0),
                VolumeSpec.fresh(VolumeSpec.VOLATILE, temp.resolve("qubes/work/volatile"), 64 * MIB));
        start(app);

        assertEquals(0, run("work", "sh", "-c", "echo scribble > /etc/scribble && rm /etc/passwd").exitStatus());
        assertEquals("scribble\n", run("work", "cat", "/etc/scribble").stdoutText());
        backend.shutdown("work", Duration.ofSeconds(5));
        start(app);

        assertEquals(1, run("work", "test", "-e", "/etc/scribble").exitStatus());
        assertTrue(run("work", "cat", "/etc/passwd").stdoutText().contains("root:x:0:0"));
        assertFalse(Files.exists(templateRoot.resolve("tree/etc/scribble")), "the template's tree is never written");
        assertTrue(Files.exists(templateRoot.resolve("tree/etc/passwd")));
    }

    @Test
    void aTemplateKeepsWhatItWritesToItsRootAndAnAppVmSeesItAtItsNextStart() {
        DomainSpec template = domain("tpl", VolumeSpec.persistent(VolumeSpec.ROOT, templateRoot, 0, 0));
        DomainSpec app = domain("work", VolumeSpec.snapshotOf(VolumeSpec.ROOT, templateRoot, 0));
        start(app);
        start(template);

        assertEquals(0, run("tpl", "sh", "-c", "echo updated > /etc/motd").exitStatus());
        backend.shutdown("tpl", Duration.ofSeconds(5));
        backend.shutdown("work", Duration.ofSeconds(5));
        start(template);
        start(app);

        assertEquals("updated\n", run("tpl", "cat", "/etc/motd").stdoutText());
        assertEquals("updated\n", run("work", "cat", "/etc/motd").stdoutText());
    }

    @Test
    void aPrivateVolumeKeepsItsContentAndCannotOutgrowItsSizeUntilResized() {
        VolumeSpec privateVolume = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/work/private"), 32 * MIB, 0);
        DomainSpec app = domain("work", privateVolume);
        start(app);

        ExecResult tooMuch = run("work", "dd", "if=/dev/zero", "of=/rw/big", "bs=1M", "count=40");
        assertNotEquals(0, tooMuch.exitStatus());
        assertTrue(tooMuch.stderrText().contains("No space left on device"), tooMuch.stderrText());
        assertEquals(0, run("work", "sh", "-c", "rm /rw/big && echo kept > /home/note").exitStatus());
        assertThrows(InvalidStateException.class, () -> backend.volumes().resize("work", privateVolume, 96 * MIB));
        backend.shutdown("work", Duration.ofSeconds(5));

        backend.volumes().resize("work", privateVolume, 96 * MIB);
        start(app);

        assertEquals("kept\n", run("work", "cat", "/rw/home/note").stdoutText());
        assertEquals(0, run("work", "dd", "if=/dev/zero", "of=/rw/big", "bs=1M", "count=40").exitStatus());
    }

    @Test
    void aNewPrivateVolumesHomeIsTheTemplatesHomeAndKeepsWhatTheUserWroteThere() throws IOException {
        Path skeleton = templateHome();
        VolumeSpec privateVolume = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/work/private"), 32 * MIB, 0);
        DomainSpec app = domain("work", VolumeSpec.snapshotOf(VolumeSpec.ROOT, templateRoot, 0), privateVolume);
        start(app);

        // the qube's root may not look into user's files (no CAP_DAC_OVERRIDE): they are checked from dom0, as mounted
        Path home = new InstanceLayout(data).volumesDirectory("work").resolve("private/home");
        assertEquals("1000 1000 700\n", run("work", "stat", "-c", "%u %g %a", "/home/user").stdoutText());
        assertEquals(List.of(1000, "rw-r-----", "from the template\n"), describe(home.resolve("user/.profile")));
        assertEquals(Path.of("/etc/shadow"), Files.readSymbolicLink(home.resolve("user/link")), "a link is copied as a link");
        assertEquals(1000, Files.getAttribute(home.resolve("user/link"), "unix:uid", LinkOption.NOFOLLOW_LINKS));
        assertEquals(Files.getLastModifiedTime(skeleton.resolve("user/.profile")), Files.getLastModifiedTime(home.resolve("user/.profile")),
                "times are kept");
        writeAsUser(home.resolve("user/note"), "mine\n");
        Files.delete(home.resolve("user/.profile"));
        Files.writeString(skeleton.resolve("user/.later"), "added to the template afterwards\n");
        backend.shutdown("work", Duration.ofSeconds(5));
        start(app);

        assertEquals(List.of(1000, "rw-r--r--", "mine\n"), describe(home.resolve("user/note")));
        assertFalse(Files.exists(home.resolve("user/.profile")), "an existing home is never seeded again");
        assertFalse(Files.exists(home.resolve("user/.later")));
    }

    @Test
    void anAppVmsUsrLocalIsOnItsPrivateVolumeSeededFromTheTemplatesAndKeptAcrossStarts() throws IOException {
        Path services = Files.createDirectories(templateRoot.resolve("tree/usr/local/etc/qubes-rpc"));
        Files.writeString(services.resolve("tpl.Service"), "from the template\n");
        VolumeSpec privateVolume = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/work/private"), 32 * MIB, 0);
        DomainSpec app = domain("work", VolumeSpec.snapshotOf(VolumeSpec.ROOT, templateRoot, 0), privateVolume);
        start(app);

        assertEquals("from the template\n", run("work", "cat", "/usr/local/etc/qubes-rpc/tpl.Service").stdoutText());
        assertEquals(0, run("work", "sh", "-c", "echo mine > /usr/local/etc/qubes-rpc/own.Service").exitStatus());
        Files.writeString(services.resolve("later.Service"), "added to the template afterwards\n");
        backend.shutdown("work", Duration.ofSeconds(5));
        start(app);

        assertEquals("mine\n", run("work", "cat", "/usr/local/etc/qubes-rpc/own.Service").stdoutText());
        assertEquals("mine\n", run("work", "cat", "/rw/usrlocal/etc/qubes-rpc/own.Service").stdoutText());
        assertEquals(1, run("work", "test", "-e", "/usr/local/etc/qubes-rpc/later.Service").exitStatus(), "seeded once only");
        assertFalse(Files.exists(services.resolve("own.Service")), "the template's tree is never written");
    }

    @Test
    void aTemplateWritesItsOwnRootsUsrLocal() throws IOException {
        VolumeSpec privateVolume = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/tpl/private"), 32 * MIB, 0);
        DomainSpec template = domain("tpl", VolumeSpec.persistent(VolumeSpec.ROOT, templateRoot, 0, 0), privateVolume);
        start(template);

        assertEquals(0, run("tpl", "sh", "-c", "mkdir -p /usr/local/etc && echo for every qube > /usr/local/etc/note").exitStatus());

        assertEquals("for every qube\n", Files.readString(templateRoot.resolve("tree/usr/local/etc/note")));
        assertEquals(1, run("tpl", "test", "-e", "/rw/usrlocal").exitStatus());
    }

    @Test
    void aQubeWithoutPrivateVolumeFindsTheTemplatesHomeAtEachStart() throws IOException {
        templateHome();
        DomainSpec disposable = domain("disp1", VolumeSpec.snapshotOf(VolumeSpec.ROOT, templateRoot, 0));
        start(disposable);
        Path home = new InstanceLayout(data).volumesDirectory("disp1").resolve("home");
        assertEquals("1000 1000 700\n", run("disp1", "stat", "-c", "%u %g %a", "/home/user").stdoutText());
        assertEquals(List.of(1000, "rw-r-----", "from the template\n"), describe(home.resolve("user/.profile")));
        writeAsUser(home.resolve("user/note"), "gone\n");
        backend.shutdown("disp1", Duration.ofSeconds(5));
        start(disposable);

        assertFalse(Files.exists(home.resolve("user/note")), "the home of a qube without private volume goes with it");
        assertEquals(List.of(1000, "rw-r-----", "from the template\n"), describe(home.resolve("user/.profile")));
        assertFalse(Files.exists(templateRoot.resolve("tree/home/user/note")), "the template's tree is never written");
    }

    @Test
    void aPrivateVolumeWhoseHomeIsALinkIsRefused() {
        VolumeSpec privateVolume = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/work/private"), 32 * MIB, 0);
        DomainSpec app = domain("work", privateVolume);
        start(app);
        assertEquals(0, run("work", "sh", "-c", "rm -r /rw/home && ln -s / /rw/home").exitStatus());
        backend.shutdown("work", Duration.ofSeconds(5));

        InvalidStateException e = assertThrows(InvalidStateException.class, () -> start(app));

        assertTrue(e.getMessage().contains("'home' that is not a directory"), e.getMessage());
        assertEquals(List.of(), mountsBelow(data.resolve("lite/domains/work")));
    }

    @Test
    void aRevisionIsTheContentBeforeAStartAndRevertBringsItBack() {
        VolumeSpec privateVolume = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/work/private"), 32 * MIB, 1);
        DomainSpec app = domain("work", privateVolume);
        start(app);
        assertEquals(0, run("work", "sh", "-c", "echo first > /rw/note").exitStatus());
        backend.shutdown("work", Duration.ofSeconds(5));
        start(app);
        assertEquals(0, run("work", "sh", "-c", "echo second > /rw/note").exitStatus());
        backend.shutdown("work", Duration.ofSeconds(5));

        List<VolumeRevision> revisions = backend.volumes().revisions(privateVolume);
        backend.volumes().revert(privateVolume, null);

        assertEquals(1, revisions.size(), revisions.toString());
        assertEquals(List.of(), backend.volumes().revisions(privateVolume), "the revision is used up");
        start(app);
        assertEquals("first\n", run("work", "cat", "/rw/note").stdoutText());
    }

    @Test
    void aDisposablesPrivateVolumeStartsAsItsTemplatesAndWhatItWritesIsGoneWithIt() throws IOException {
        VolumeSpec dvmPrivate = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/dvm/private"), 32 * MIB, 0);
        start(domain("dvm", dvmPrivate));
        assertEquals(0, run("dvm", "sh", "-c", "echo from-template > /rw/settings").exitStatus());
        DomainSpec disposable = domain("disp1", VolumeSpec.snapshotOf(VolumeSpec.ROOT, templateRoot, 0),
                VolumeSpec.snapshotOf(VolumeSpec.PRIVATE, dvmPrivate.source(), 32 * MIB),
                VolumeSpec.fresh(VolumeSpec.VOLATILE, temp.resolve("qubes/disp1/volatile"), 128 * MIB));
        start(disposable);

        assertEquals("from-template\n", run("disp1", "cat", "/rw/settings").stdoutText(),
                "a copy of the template's private volume taken while the template runs");
        String secret = "secret-" + UUID.randomUUID();
        assertEquals(0, run("disp1", "sh", "-c", "echo " + secret + " > /rw/secret && echo " + secret + " > /root-secret").exitStatus());
        backend.kill("disp1");

        assertEquals(1, run("dvm", "test", "-e", "/rw/secret").exitStatus());
        assertEquals(List.of(), mountsBelow(data.resolve("lite/domains/disp1")));
        assertFalse(Files.exists(new InstanceLayout(data).volumesDirectory("disp1")));
        assertEquals(List.of(), grep(temp, secret), "no file on the host holds what the disposable wrote");
    }

    @Test
    void aStoppedQubesImageIsFreeAgainThoughAnotherQubeStartedWhileItRan() {
        VolumeSpec privateVolume = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/work/private"), 32 * MIB, 0);
        start(domain("work", privateVolume));
        start(domain("other", VolumeSpec.snapshotOf(VolumeSpec.ROOT, templateRoot, 0)));

        backend.shutdown("work", Duration.ofSeconds(5));

        assertEquals(List.of(), loopDevicesBelow(temp.resolve("qubes/work")),
                "the other qube's mount namespace holds no copy of the image's mount");
        start(domain("work", privateVolume));
        assertEquals(0, run("work", "true").exitStatus());
    }

    @Test
    void disposableStartsAndKillsInARowLeaveNoMountAndNoLoopDevice() {
        VolumeSpec dvmPrivate = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/dvm/private"), 32 * MIB, 0);
        start(domain("dvm", dvmPrivate));
        backend.kill("dvm");
        DomainSpec disposable = domain("disp2", VolumeSpec.snapshotOf(VolumeSpec.ROOT, templateRoot, 0),
                VolumeSpec.snapshotOf(VolumeSpec.PRIVATE, dvmPrivate.source(), 32 * MIB),
                VolumeSpec.fresh(VolumeSpec.VOLATILE, temp.resolve("qubes/disp2/volatile"), 128 * MIB));

        for (int i = 0; i < 15; i++) {
            start(disposable);
            assertEquals(0, run("disp2", "sh", "-c", "echo " + i + " > /rw/round && sync").exitStatus());
            backend.kill("disp2");
            assertEquals(List.of(), mountsBelow(data), "round " + i);
            assertEquals(List.of(), loopDevicesBelow(temp), "round " + i);
        }
    }

    @Test
    void aMountNamespaceCopiedWhileTheQubeRanDoesNotKeepItsImageAttached() throws Exception {
        VolumeSpec privateVolume = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/work/private"), 32 * MIB, 0);
        start(domain("work", privateVolume));
        String ns = "bh-vol-test-" + ProcessHandle.current().pid();
        ProcessHostCommands host = new ProcessHostCommands();
        host.runOrThrow(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "netns", "add", ns)));
        // a process in a mount namespace of its own, copied from the host's while the image is mounted
        Process holder = new ProcessBuilder("ip", "netns", "exec", ns, "sleep", "60").start();
        try {
            Path holderProc = Path.of("/proc", Long.toString(holder.pid()));
            String privateMount = new InstanceLayout(data).volumesDirectory("work").resolve("private").toString();
            Await.until("the holder has a copy of the private mount", Duration.ofSeconds(5), () -> holdsCopy(holderProc, privateMount));

            backend.shutdown("work", Duration.ofSeconds(5));

            assertEquals(List.of(), loopDevicesBelow(temp.resolve("qubes/work")));
            start(domain("work", privateVolume));
            assertEquals(0, run("work", "true").exitStatus());
        } finally {
            holder.destroyForcibly().waitFor();
            host.run(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "netns", "delete", ns)));
        }
    }

    @Test
    void aCopiedVolumeHasTheContentAndStaysSparse() throws IOException {
        VolumeSpec from = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/a/private"), 512 * MIB, 0);
        VolumeSpec to = VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("qubes/b/private"), 512 * MIB, 0);
        start(domain("a", from));
        assertEquals(0, run("a", "sh", "-c", "echo copied > /rw/note").exitStatus());
        backend.shutdown("a", Duration.ofSeconds(5));

        backend.volumes().copy(from, to);
        start(domain("b", to));

        assertEquals("copied\n", run("b", "cat", "/rw/note").stdoutText());
        assertTrue(backend.volumes().usage(to) < 64 * MIB, "a 512 MiB image with a note takes little: " + backend.volumes().usage(to));
    }

    /** Whether the process is in a mount namespace of its own that has the mount point. */
    private static boolean holdsCopy(Path proc, String mountPoint) {
        try {
            return !Files.readSymbolicLink(proc.resolve("ns/mnt")).equals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")))
                    && Files.readString(proc.resolve("mountinfo")).contains(" " + mountPoint + " ");
        } catch (IOException e) {
            return false;
        }
    }

    /** The template's /home: a user's home with a dot file and a link that points out of the template. */
    private Path templateHome() throws IOException {
        Path home = templateRoot.resolve("tree/home");
        Path user = Files.createDirectories(home.resolve("user"));
        Files.writeString(user.resolve(".profile"), "from the template\n");
        Files.setPosixFilePermissions(user.resolve(".profile"), PosixFilePermissions.fromString("rw-r-----"));
        Files.setLastModifiedTime(user.resolve(".profile"), FileTime.fromMillis(1_500_000_000_000L));
        Files.createSymbolicLink(user.resolve("link"), Path.of("/etc/shadow"));
        Files.setPosixFilePermissions(user, PosixFilePermissions.fromString("rwx------"));
        for (Path p : List.of(user, user.resolve(".profile"), user.resolve("link"))) {
            Files.setAttribute(p, "unix:uid", 1000, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", 1000, LinkOption.NOFOLLOW_LINKS);
        }
        return home;
    }

    /** Owner, mode and content of a file. */
    private static List<Object> describe(Path file) throws IOException {
        return List.of(Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS)), Files.readString(file));
    }

    private static void writeAsUser(Path file, String content) throws IOException {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setAttribute(file, "unix:uid", 1000);
    }

    private DomainSpec domain(String name, VolumeSpec... volumes) {
        return new DomainSpec(name, 7, QubeClass.AppVM, 64, 64, 1, "", false, List.of(volumes));
    }

    private void start(DomainSpec spec) {
        if (!started.contains(spec.name())) {
            started.add(spec.name());
        }
        backend.start(spec);
    }

    private ExecResult run(String name, String... command) {
        return backend.exec(name, List.of(command), new byte[0], EXEC_TIMEOUT);
    }

    private static List<String> mountsBelow(Path dir) {
        return new MountTable(Path.of("/proc")).below(dir).stream().map(m -> m.mountPoint().toString()).toList();
    }

    private static List<String> loopDevicesBelow(Path dir) {
        HostCommandResult r = new ProcessHostCommands().runOrThrow(HostCommand.of(EXEC_TIMEOUT,
                List.of("losetup", "--noheadings", "--list", "--output", "BACK-FILE")));
        return r.stdoutText().lines().map(String::strip).filter(f -> f.startsWith(dir.toString())).toList();
    }

    private static List<String> grep(Path dir, String text) {
        HostCommandResult r = new ProcessHostCommands().run(HostCommand.of(EXEC_TIMEOUT, List.of("grep", "-rl", text, dir.toString())));
        return r.stdoutText().lines().toList();
    }
}
