package dev.bulkhead.backend.lite.internal;

import static dev.bulkhead.backend.lite.internal.FakeLiteHost.failed;
import static dev.bulkhead.backend.lite.internal.FakeLiteHost.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.DomainStatus;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.testing.Await;

/** The backend's command sequences and bookkeeping, against a fake executor and fake host directories. */
class LiteBackendTest {
    private static final LiteSettings SETTINGS = new LiteSettings("runc", "/bin/busybox", Duration.ofSeconds(30),
            Duration.ofSeconds(10), List.of());
    private static final String APPLETS = "sh\nsleep\nhostname\n";
    /** Beyond any pid_max: no process has it, so a domain's init with this pid is gone. */
    private static final long GONE = Integer.MAX_VALUE;

    @TempDir
    Path temp;
    private Path data;
    private Path netnsDir;
    private Path cgroupRoot;
    private Path proc;
    private InstanceLayout layout;
    private FakeLiteHost executor;
    private LiteBackend backend;
    private String runc;
    private final List<Process> hostProcesses = new java.util.ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        data = temp.resolve("data");
        netnsDir = temp.resolve("netns");
        cgroupRoot = Files.createDirectories(temp.resolve("cgroup"));
        proc = Files.createDirectories(temp.resolve("proc"));
        layout = new InstanceLayout(data);
        executor = new FakeLiteHost(netnsDir, layout.runcRoot()).answer("busybox --list", ok(APPLETS))
                .answer(" link show ", failed(1, "Device does not exist.\n"));
        backend = new LiteBackend(data, SETTINGS, executor, new HostPaths(netnsDir, cgroupRoot, proc, temp.resolve("sys-block"),
                temp.resolve("channels")));
        runc = "runc --root D/lite/runc ";
    }

    @Test
    void startMakesTheNetnsWithLoopbackThenRunsTheContainerWithoutAskingRuncFirst() throws IOException {
        backend.start(spec("work"));

        String ns = layout.netnsName("work");
        assertEquals(List.of(
                "/bin/busybox --list",
                "ip netns add " + ns,
                "ip -n " + ns + " link set lo up",
                runc + "run -d --pid-file D/lite/domains/work/init.pid --bundle D/lite/domains/work work"), withoutVolumeCommands());
        HostCommand run = executor.commands().get(executor.commands().size() - 1);
        assertEquals(layout.consoleLog("work"), run.output());
        assertTrue(Files.readString(layout.configFile("work")).contains("\"hostname\" : \"work\""));
    }

    @Test
    void theBuiltinRootIsBuiltOnlyOnce() {
        backend.start(spec("one"));
        backend.start(spec("two"));

        assertEquals(1, executor.lines(data).stream().filter(l -> l.contains("--list")).count());
    }

    @Test
    void startingARunningDomainIsRefusedAndTouchesNothing() throws IOException {
        Files.createDirectories(layout.runcRoot().resolve("work"));
        executor.answer(" state work", ok("{\"id\":\"work\",\"status\":\"running\",\"pid\":42}"));

        InvalidStateException e = assertThrows(InvalidStateException.class, () -> backend.start(spec("work")));

        assertTrue(e.getMessage().contains("already running"), e.getMessage());
        assertEquals(List.of(runc + "state work"), executor.lines(data));
    }

    @Test
    void startClearsWhatAStoppedContainerAndACrashLeftBehind() throws IOException {
        Files.createDirectories(layout.runcRoot().resolve("work"));
        Files.createDirectories(netnsDir);
        Files.createFile(netnsDir.resolve(layout.netnsName("work")));
        executor.answer(" state work", ok("{\"id\":\"work\",\"status\":\"stopped\",\"pid\":0}"));

        backend.start(spec("work"));

        String ns = layout.netnsName("work");
        assertEquals(List.of(
                runc + "state work",
                runc + "delete --force work",
                "ip netns delete " + ns,
                "/bin/busybox --list",
                "ip netns add " + ns,
                "ip -n " + ns + " link set lo up",
                runc + "run -d --pid-file D/lite/domains/work/init.pid --bundle D/lite/domains/work work"), withoutVolumeCommands());
    }

    @Test
    void aFailedRunDeletesTheContainerAndTheNetnsAndSaysWhatRuncSaid() throws IOException {
        executor.answer(" run -d ", c -> {
            try {
                Files.createDirectories(layout.runcRoot().resolve("work"));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            FakeLiteHost.appendToOutput(c, "time=\"x\" level=error msg=\"runc run failed: no \\\"init\\\" here\"\n");
            return failed(1, "");
        });

        AdminException e = assertThrows(AdminException.class, () -> backend.start(spec("work")));

        assertTrue(e.getMessage().contains("run -d --pid-file"), e.getMessage());
        assertTrue(e.getMessage().endsWith("failed (exit 1): runc run failed: no \"init\" here"), e.getMessage());
        List<String> lines = executor.lines(data);
        assertEquals(List.of(runc + "delete --force work", "ip netns delete " + layout.netnsName("work")),
                lines.subList(lines.size() - 2, lines.size()));
        assertFalse(Files.exists(netnsDir.resolve(layout.netnsName("work"))));
        assertFalse(Files.exists(layout.runcRoot().resolve("work")));
    }

    @Test
    void aFailedLoopbackRemovesTheNetnsAndRunsNoContainer() {
        executor.answer("link set lo up", failed(2, "RTNETLINK answers: Operation not permitted\n"));

        AdminException e = assertThrows(AdminException.class, () -> backend.start(spec("work")));

        assertEquals("'ip -n " + layout.netnsName("work") + " link set lo up' failed (exit 2): RTNETLINK answers:"
                + " Operation not permitted", e.getMessage());
        assertEquals("ip netns delete " + layout.netnsName("work"), last(executor.lines(data)));
        assertTrue(executor.lines(data).stream().noneMatch(l -> l.contains(" run ")));
    }

    @Test
    void aRootVolumeWithoutItsTreeIsRefusedAndNothingIsStarted() throws IOException {
        Path root = Files.createDirectories(temp.resolve("template-root"));

        InvalidStateException e = assertThrows(InvalidStateException.class,
                () -> backend.start(spec("work", new VolumeSpec(VolumeSpec.ROOT, root, true, false, 0))));

        assertTrue(e.getMessage().contains(root.resolve("tree").toString()), e.getMessage());
        assertTrue(executor.lines(data).stream().noneMatch(l -> l.contains(" run ") || l.contains("netns add")));
    }

    @Test
    void aKeptRootVolumeIsItsTreeAsGivenAndNoBuiltinRootIsBuilt() throws IOException {
        Path root = Files.createDirectories(temp.resolve("template-root"));
        Files.createDirectories(root.resolve("tree"));

        backend.start(spec("work", new VolumeSpec(VolumeSpec.ROOT, root, true, false, 0)));

        String config = Files.readString(layout.configFile("work"));
        assertTrue(config.contains("\"path\" : \"" + root.resolve("tree") + "\""), config);
        assertTrue(config.contains("\"readonly\" : true"), config);
        assertTrue(executor.lines(data).stream().noneMatch(l -> l.contains("--list")));
    }

    @Test
    void shutdownSignalsTermThenDeletesTheContainerAndTheNetns() throws IOException {
        running("work", GONE);

        backend.shutdown("work", Duration.ofSeconds(5));

        assertEquals(List.of(
                runc + "state work",
                runc + "kill work TERM",
                runc + "delete --force work",
                "ip netns delete " + layout.netnsName("work")), executor.lines(data));
    }

    @Test
    void shutdownWaitsForTheTimeoutBeforeTheForcedDelete() throws IOException {
        Process init = startOnHost("sleep", "300");
        running("work", init.pid());

        long began = System.nanoTime();
        backend.shutdown("work", Duration.ofMillis(100));

        assertTrue(System.nanoTime() - began >= Duration.ofMillis(100).toNanos());
        assertEquals(runc + "delete --force work", executor.lines(data).get(2));
    }

    @Test
    void shutdownEndsAsSoonAsTheInitIsAZombie() throws IOException {
        // the shell's child exits at once and stays a zombie: the shell became a sleep that never reaps it
        Process parent = startOnHost("sh", "-c", "true & exec sleep 300");
        running("work", awaitChild(parent).pid());

        long began = System.nanoTime();
        backend.shutdown("work", Duration.ofSeconds(30));

        assertTrue(System.nanoTime() - began < Duration.ofSeconds(5).toNanos());
    }

    @Test
    void shutdownOfAPausedDomainThawsItBeforeSignalling() throws IOException {
        Files.createDirectories(layout.runcRoot().resolve("work"));
        executor.answer(" state work", ok("{\"id\":\"work\",\"status\":\"paused\",\"pid\":" + GONE + "}"));

        backend.shutdown("work", Duration.ofSeconds(5));

        assertEquals(List.of(runc + "resume work", runc + "kill work TERM"), executor.lines(data).subList(1, 3));
    }

    @Test
    void shutdownOfAHaltedDomainOnlyClearsLeftovers() throws IOException {
        Files.createDirectories(netnsDir);
        Files.createFile(netnsDir.resolve(layout.netnsName("work")));

        backend.shutdown("work", Duration.ofSeconds(5));

        assertEquals(List.of("ip netns delete " + layout.netnsName("work")), executor.lines(data));
    }

    @Test
    void killSignalsKillWaitsForTheInitToEndThenDeletes() throws IOException {
        running("work", GONE);

        backend.kill("work");

        assertEquals(List.of(runc + "state work", runc + "kill work KILL", runc + "delete --force work",
                "ip netns delete " + layout.netnsName("work")), executor.lines(data));
    }

    @Test
    void killOfAContainerRuncNoLongerHoldsOnlyCleansUp() throws IOException {
        Files.createDirectories(netnsDir);
        Files.createFile(netnsDir.resolve(layout.netnsName("work")));

        backend.kill("work");

        assertEquals(List.of("ip netns delete " + layout.netnsName("work")), executor.lines(data));
    }

    @Test
    void pauseAndUnpauseUseRunc() throws IOException {
        running("work", GONE);

        backend.pause("work");
        backend.unpause("work");

        assertEquals(List.of(runc + "pause work", runc + "resume work"), executor.lines(data));
    }

    @Test
    void pauseOfAHaltedDomainIsRefused() {
        assertThrows(InvalidStateException.class, () -> backend.pause("work"));
        assertTrue(executor.commands().isEmpty());
    }

    @ParameterizedTest
    @CsvSource({ "running, Running", "paused, Paused", "pausing, Transient", "created, Transient", "stopped, Halted" })
    void stateMapsRuncStatuses(String status, PowerState expected) throws IOException {
        Files.createDirectories(layout.runcRoot().resolve("work"));
        executor.answer(" state work", ok("{\"id\":\"work\",\"status\":\"" + status + "\",\"pid\":1}"));

        assertEquals(expected, backend.state("work"));
    }

    @Test
    void aDomainRuncDoesNotHoldIsHaltedWithoutAskingRunc() {
        assertEquals(PowerState.Halted, backend.state("work"));
        assertTrue(executor.commands().isEmpty());
    }

    @Test
    void aContainerRuncForgotMeanwhileIsHalted() throws IOException {
        Files.createDirectories(layout.runcRoot().resolve("work"));
        executor.answer(" state work", failed(1, "time=\"x\" level=error msg=\"container does not exist\"\n"));

        assertEquals(PowerState.Halted, backend.state("work"));
    }

    @Test
    void domainsListsTheContainersOfThisInstance() throws IOException {
        Files.createDirectories(layout.runcRoot());
        executor.answer(" list --format json", ok("[{\"id\":\"a\",\"pid\":7,\"status\":\"running\"},"
                + "{\"id\":\"b\",\"pid\":0,\"status\":\"stopped\"}]"));

        assertEquals(List.of(new DomainStatus("a", PowerState.Running), new DomainStatus("b", PowerState.Halted)),
                backend.domains());
    }

    @Test
    void domainsIsEmptyWhenRuncHasNoContainers() throws IOException {
        assertEquals(List.of(), backend.domains());
        Files.createDirectories(layout.runcRoot());
        executor.answer(" list --format json", ok("null\n"));

        assertEquals(List.of(), backend.domains());
    }

    @Test
    void execRunsTheCommandThroughRuncWithStdinAndReturnsItsResult() throws IOException {
        running("work", GONE);
        executor.answer(" exec ", c -> {
            writePidFile(c);
            return new HostCommandResult(3, "out".getBytes(StandardCharsets.UTF_8), "err".getBytes(StandardCharsets.UTF_8),
                    false);
        });

        ExecResult result = backend.exec("work", List.of("cat", "-"), "in".getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(7));

        HostCommand exec = executor.commands().get(0);
        List<String> argv = exec.argv();
        assertEquals(List.of("--cwd", "/", "--env", OciConfig.PATH, "work", "cat", "-"),
                argv.subList(argv.size() - 7, argv.size()));
        assertArrayEquals("in".getBytes(StandardCharsets.UTF_8), exec.stdin());
        assertEquals(Duration.ofSeconds(7), exec.timeout());
        assertEquals(3, result.exitStatus());
        assertEquals("out", result.stdoutText());
        assertEquals("err", result.stderrText());
        assertEquals(List.of("config.json"), fileNames(layout.domainDirectory("work")));
    }

    @Test
    void execThatRuncCouldNotStartIsAnError() throws IOException {
        running("work", GONE);
        executor.answer(" exec ", failed(255, "time=\"x\" level=error msg=\"exec failed: executable file not found\"\n"));

        AdminException e = assertThrows(AdminException.class,
                () -> backend.exec("work", List.of("nope"), new byte[0], Duration.ofSeconds(7)));

        assertEquals("cannot run [nope] in 'work': exec failed: executable file not found", e.getMessage());
    }

    @Test
    void execOverItsTimeoutIsAnError() throws IOException {
        running("work", GONE);
        executor.answer(" exec ", c -> {
            writePidFile(c);
            return FakeLiteHost.timedOut();
        });

        AdminException e = assertThrows(AdminException.class,
                () -> backend.exec("work", List.of("sleep", "9"), new byte[0], Duration.ofMillis(250)));

        assertEquals("command [sleep, 9] in 'work' did not finish within 250 ms and was killed", e.getMessage());
    }

    @Test
    void destroyRemovesContainerNetnsCgroupsAndFilesAndCanBeRepeated() throws IOException {
        backend.start(spec("work"));
        Path memory = Files.createDirectories(cgroupRoot.resolve("memory").resolve(layout.cgroupsPath("work").substring(1)));
        Path pids = Files.createDirectories(cgroupRoot.resolve("pids").resolve(layout.cgroupsPath("work").substring(1)));

        backend.destroy("work");
        backend.destroy("work");

        assertFalse(Files.exists(layout.runcRoot().resolve("work")));
        assertFalse(Files.exists(netnsDir.resolve(layout.netnsName("work"))));
        assertFalse(Files.exists(layout.domainDirectory("work")));
        assertFalse(Files.exists(memory.getParent()));
        assertFalse(Files.exists(pids.getParent()));
    }

    @Test
    void destroyKeepsTheInstanceCgroupWhileAnotherDomainIsInIt() throws IOException {
        Path parent = cgroupRoot.resolve("memory").resolve(layout.cgroupParent().substring(1));
        Files.createDirectories(parent.resolve("work"));
        Files.createDirectories(parent.resolve("other"));

        backend.destroy("work");

        assertEquals(List.of("other"), fileNames(parent));
    }

    @Test
    void connectCreatesEachEndInsideItsNamespaceInTwoBatches() throws IOException {
        backend.start(spec("net"));
        backend.start(spec("app"));
        int before = executor.commands().size();

        LinkEndpoint endpoint = backend.connect(new LinkSpec("app", 12, "net", "10.137.0.12", "10.138.0.1"));

        List<HostCommand> link = executor.commands().subList(before, executor.commands().size());
        assertEquals(List.of("ip -n " + layout.netnsName("net") + " link show vif12.0", "ip -n " + layout.netnsName("net") + " -batch -",
                "ip -n " + layout.netnsName("app") + " -batch -"), link.stream().map(HostCommand::display).toList());
        assertEquals("""
                link add vif12.0 type veth peer name eth0 netns %s
                link set vif12.0 up
                address add 10.138.0.1/32 dev vif12.0
                route add 10.137.0.12/32 dev vif12.0 scope link
                """.formatted(layout.netnsName("app")), new String(link.get(1).stdin(), StandardCharsets.UTF_8));
        assertEquals("""
                link set eth0 up
                address add 10.137.0.12/32 dev eth0
                route add 10.138.0.1/32 dev eth0 scope link
                route add default via 10.138.0.1 dev eth0
                """, new String(link.get(2).stdin(), StandardCharsets.UTF_8));
        assertEquals("vif12.0", endpoint.backendInterface());
        assertEquals("eth0", endpoint.clientInterface());
    }

    @Test
    void aFailedClientSideRemovesTheHalfMadeLink() {
        backend.start(spec("net"));
        backend.start(spec("app"));
        executor.answer("ip -n " + layout.netnsName("app") + " -batch", failed(1, "Error: Nexthop has invalid gateway.\n"));

        AdminException e = assertThrows(AdminException.class,
                () -> backend.connect(new LinkSpec("app", 12, "net", "10.137.0.12", "10.138.0.1")));

        assertTrue(e.getMessage().endsWith("failed (exit 1): Error: Nexthop has invalid gateway."), e.getMessage());
        assertEquals("ip -n " + layout.netnsName("net") + " link delete vif12.0", last(executor.lines(data)));
    }

    @Test
    void connectRefusesWhatIsNotAnAddressAndDomainsThatAreNotRunning() {
        backend.start(spec("net"));
        backend.start(spec("app"));
        int before = executor.commands().size();

        assertThrows(InvalidValueException.class,
                () -> backend.connect(new LinkSpec("app", 12, "net", "10.137.0.256", "10.138.0.1")));
        assertThrows(InvalidValueException.class,
                () -> backend.connect(new LinkSpec("app", 12, "net", "10.137.0.12", "gateway; reboot")));
        assertThrows(InvalidStateException.class,
                () -> backend.connect(new LinkSpec("app", 12, "offline", "10.137.0.12", "10.138.0.1")));
        assertThrows(InvalidStateException.class,
                () -> backend.connect(new LinkSpec("offline", 12, "net", "10.137.0.12", "10.138.0.1")));
        assertEquals(before, executor.commands().size());
    }

    @Test
    void disconnectRemovesTheVifAndIsQuietWhenTheLinkOrTheNetvmIsGone() {
        LinkSpec link = new LinkSpec("app", 12, "net", "10.137.0.12", "10.138.0.1");
        backend.disconnect(link);
        assertTrue(executor.commands().isEmpty());

        backend.start(spec("net"));
        executor.answer("link delete vif12.0", failed(1, "Cannot find device \"vif12.0\"\n"));
        backend.disconnect(link);

        assertEquals("ip -n " + layout.netnsName("net") + " link delete vif12.0", last(executor.lines(data)));
    }

    @Test
    void namesThatAreNotQubeNamesNeverReachTheHost() {
        assertThrows(InvalidValueException.class, () -> backend.start(spec("../etc")));
        assertThrows(InvalidValueException.class, () -> backend.destroy("a/b"));
        assertThrows(InvalidValueException.class, () -> backend.kill(""));
        assertTrue(executor.commands().isEmpty());
    }

    @Test
    void consoleLogIsEmptyForADomainThatNeverRan() {
        assertEquals("", backend.consoleLog("work"));
    }

    @Test
    void theDataDirectoryMustBeAnAbsolutePath() {
        assertThrows(IllegalStateException.class, () -> LiteBackend.dataDirectory(null));
        assertThrows(IllegalStateException.class, () -> LiteBackend.dataDirectory("relative/data"));
        assertEquals(Path.of("/var/lib/bulkhead"), LiteBackend.dataDirectory("/var/lib/bulkhead"));
    }

    @Test
    void instancesOnDifferentDataDirectoriesUseDifferentHostNames() {
        InstanceLayout other = new InstanceLayout(temp.resolve("other"));

        assertNotEquals(layout.netnsName("work"), other.netnsName("work"));
        assertNotEquals(layout.cgroupsPath("work"), other.cgroupsPath("work"));
        assertEquals(layout.netnsName("work"), new InstanceLayout(temp.resolve("data/../data")).netnsName("work"));
        assertTrue(layout.netnsName("work").matches("bh-[0-9a-f]{6}-work"), layout.netnsName("work"));
        assertEquals("/bulkhead-" + layout.tag() + "/work", layout.cgroupsPath("work"));
    }

    private void running(String name, long pid) throws IOException {
        Files.createDirectories(layout.runcRoot().resolve(name));
        Files.createDirectories(netnsDir);
        Files.createFile(netnsDir.resolve(layout.netnsName(name)));
        Files.createDirectories(layout.domainDirectory(name));
        Files.writeString(layout.configFile(name), "{}");
        executor.answer(" state " + name, ok("{\"id\":\"" + name + "\",\"status\":\"running\",\"pid\":" + pid + "}"));
    }

    /** A real process standing for a domain's init, killed after the test. */
    private Process startOnHost(String... argv) throws IOException {
        Process p = new ProcessBuilder(argv).start();
        hostProcesses.add(p);
        return p;
    }

    @AfterEach
    void killHostProcesses() {
        hostProcesses.forEach(Process::destroyForcibly);
    }

    private static ProcessHandle awaitChild(Process parent) {
        Await.until("the shell to start a child", Duration.ofSeconds(30), () -> parent.children().findFirst().isPresent());
        return parent.children().findFirst().orElseThrow();
    }

    private static void writePidFile(HostCommand exec) {
        List<String> argv = exec.argv();
        try {
            Files.writeString(Path.of(argv.get(argv.indexOf("--pid-file") + 1)), "4243");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The commands run, less the volumes' mounts, copies and the unmount of the view a copy reads through, which {@link LiteVolumesTest} checks. */
    private List<String> withoutVolumeCommands() {
        return executor.lines(data).stream()
                .filter(l -> !l.startsWith("mount ") && !l.startsWith("cp ") && !(l.startsWith("umount ") && l.endsWith("/.seed-view")))
                .toList();
    }

    private static DomainSpec spec(String name, VolumeSpec... volumes) {
        return new DomainSpec(name, 5, QubeClass.AppVM, 400, 400, 1, "", false, List.of(volumes));
    }

    private static List<String> fileNames(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String last(List<String> lines) {
        return lines.get(lines.size() - 1);
    }
}
