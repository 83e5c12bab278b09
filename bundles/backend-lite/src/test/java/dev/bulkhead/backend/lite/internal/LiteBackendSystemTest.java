package dev.bulkhead.backend.lite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.DomainStatus;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.UplinkSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.SystemTest;

/**
 * The backend against the real runc, ip and kernel: needs root. Every qube a test starts is destroyed
 * afterwards, whether the test passed or not.
 */
@SystemTest
class LiteBackendSystemTest {
    static final LiteSettings SETTINGS = new LiteSettings("runc", "/bin/busybox", Duration.ofSeconds(30),
            Duration.ofSeconds(10), List.of("/usr/sbin/nft", "/sbin/ip"));
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(10);
    private static final byte[] NO_INPUT = new byte[0];

    @TempDir
    Path temp;
    private Path data;
    private LiteBackend backend;
    private final List<Started> started = new ArrayList<>();

    private record Started(LiteBackend backend, String name) {
    }

    @BeforeEach
    void createBackend() {
        data = temp.resolve("data");
        backend = backendOn(data);
    }

    @AfterEach
    void destroyEverythingStarted() {
        AssertionError failure = null;
        for (Started s : started) {
            try {
                s.backend().destroy(s.name());
            } catch (RuntimeException e) {
                failure = failure == null ? new AssertionError("cleanup failed") : failure;
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Test
    void isSupportedOnThisHost() {
        assertTrue(backend.isSupported());
    }

    @Test
    void startedQubeRunsWithItsNameAsHostnameAndWritesItsConsole() {
        start(backend, spec("sys-a"));

        assertEquals(PowerState.Running, backend.state("sys-a"));
        assertEquals("sys-a\n", run("sys-a", "hostname").stdoutText());
        assertEquals("root\n", run("sys-a", "id", "-un").stdoutText());
        assertTrue(run("sys-a", "cat", "/etc/passwd").stdoutText().contains("user:x:1000:1000:"));
        Await.until("console log shows the init's greeting", Duration.ofSeconds(5),
                () -> backend.consoleLog("sys-a").contains("qube sys-a up"));
    }

    @Test
    void qubeSeesOnlyItsOwnProcesses() {
        start(backend, spec("sys-a"));

        List<String> processes = run("sys-a", "ps", "-o", "pid,args").stdoutText().lines().skip(1).map(String::strip)
                .toList();

        assertTrue(processes.get(0).startsWith("1 /bin/sh " + OciConfig.INIT), processes.toString());
        for (String p : processes) {
            String args = p.substring(p.indexOf(' ') + 1);
            assertTrue(args.startsWith("/bin/sh " + OciConfig.INIT) || args.startsWith("sleep ")
                    || args.startsWith("ps "), "a process that is not the qube's: " + p);
        }
        List<String> procEntries = List.of(run("sys-a", "ls", "/proc").stdoutText().split("\\s+"));
        long numeric = procEntries.stream().filter(e -> e.matches("[0-9]+")).count();
        assertTrue(numeric <= 4, "only the qube's processes in /proc: " + procEntries);
    }

    @Test
    void hostFilesAreInvisibleAndTheRootIsReadOnly() throws IOException {
        start(backend, spec("sys-a"));

        for (String hostPath : List.of(data.toString(), temp.toString(), "/usr/share", "/etc/os-release")) {
            assertEquals(1, run("sys-a", "test", "-e", hostPath).exitStatus(), hostPath + " is visible in the qube");
        }
        ExecResult write = run("sys-a", "touch", "/written");
        assertNotEquals(0, write.exitStatus());
        assertTrue(write.stderrText().contains("Read-only file system"), write.stderrText());
        assertEquals(0, run("sys-a", "touch", "/tmp/scratch").exitStatus());
        try (var homeEntries = Files.list(layoutOf(data).home())) {
            List<Path> roots = homeEntries.filter(p -> p.getFileName().toString().startsWith("rootfs-")).toList();
            assertEquals(1, roots.size(), roots.toString());
            assertFalse(Files.exists(roots.get(0).resolve("written")));
        }
    }

    @Test
    void privateVolumeIsWritableAtRwWithHomeAndSurvivesARestart() throws IOException {
        DomainSpec spec = spec("sys-a", privateVolume("sys-a"));
        start(backend, spec);

        assertEquals(0, run("sys-a", "sh", "-c", "echo kept > /rw/note && mkdir /home/mine && echo mine > /home/mine/f")
                .exitStatus());
        backend.shutdown("sys-a", Duration.ofSeconds(5));
        assertEquals(PowerState.Halted, backend.state("sys-a"));
        start(backend, spec);

        assertEquals("kept\n", run("sys-a", "cat", "/rw/note").stdoutText());
        assertEquals("mine\n", run("sys-a", "cat", "/rw/home/mine/f").stdoutText());
    }

    @Test
    void memoryLimitIsSetOnTheQubesCgroup() throws IOException {
        start(backend, spec("sys-a"));
        // Until the init greets, the cgroup may still hold runc's own process that is about to become it.
        Await.until("init is up", Duration.ofSeconds(5), () -> backend.consoleLog("sys-a").contains("qube sys-a up"));

        Path cgroup = Path.of("/sys/fs/cgroup/memory").resolve(layoutOf(data).cgroupsPath("sys-a").substring(1));
        assertEquals(Long.toString(64L * 1024 * 1024), Files.readString(cgroup.resolve("memory.limit_in_bytes")).strip());
        // runc returns once it has told the init to start, which may not have exec'd the script yet
        Await.until("init in the cgroup", Duration.ofSeconds(5),
                () -> members(cgroup).stream().anyMatch(pid -> cmdline(pid).contains(OciConfig.INIT)));
    }

    @Test
    void statsCountTheQubesCpuAndMemoryWhileItRuns() {
        assertTrue(backend.stats("sys-a").isEmpty(), "a qube that never ran has no stats");
        start(backend, spec("sys-a"));
        QubeStats before = backend.stats("sys-a").orElseThrow();
        assertTrue(before.memoryBytes() > 0, "memory in use: " + before);

        run("sys-a", "sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done");

        QubeStats after = backend.stats("sys-a").orElseThrow();
        assertTrue(after.cpuNanos() - before.cpuNanos() > 10_000_000L, "a busy loop adds CPU time: " + before + " -> " + after);
        backend.kill("sys-a");
        assertTrue(backend.stats("sys-a").isEmpty(), "a killed qube has no stats");
    }

    @Test
    void pauseFreezesAndUnpauseThaws() {
        start(backend, spec("sys-a"));

        backend.pause("sys-a");
        assertEquals(PowerState.Paused, backend.state("sys-a"));
        backend.unpause("sys-a");

        assertEquals(PowerState.Running, backend.state("sys-a"));
        assertEquals("sys-a\n", run("sys-a", "hostname").stdoutText());
    }

    @Test
    void aPausedQubeCanBeKilledAndDestroyed() {
        start(backend, spec("sys-a"));
        start(backend, spec("sys-b"));
        backend.pause("sys-a");
        backend.pause("sys-b");

        backend.kill("sys-a");
        backend.destroy("sys-b");

        assertEquals(PowerState.Halted, backend.state("sys-a"));
        assertEquals(PowerState.Halted, backend.state("sys-b"));
        assertEquals(List.of(), cgroupsOf(data, "sys-b"));
    }

    @Test
    void execInAPausedQubeIsRefused() {
        start(backend, spec("sys-a"));
        backend.pause("sys-a");

        assertThrows(AdminException.class, () -> run("sys-a", "true"));
    }

    @Test
    void shutdownStopsTheInitOnSigtermAndRemovesTheRuntime() {
        start(backend, spec("sys-a"));
        // The init greets once its TERM trap is set; a signal before that is ignored, as by any pid 1.
        Await.until("init is up", Duration.ofSeconds(5), () -> backend.consoleLog("sys-a").contains("qube sys-a up"));

        backend.shutdown("sys-a", Duration.ofSeconds(30));

        assertTrue(backend.consoleLog("sys-a").contains("qube sys-a down"), "the init ended on SIGTERM, not by a kill: " + backend.consoleLog("sys-a"));
        assertEquals(PowerState.Halted, backend.state("sys-a"));
        assertFalse(Files.exists(netnsFile(data, "sys-a")));
        assertFalse(Files.exists(layoutOf(data).runcRoot().resolve("sys-a")));
        assertTrue(backend.consoleLog("sys-a").contains("qube sys-a up"), "the console log outlives the qube");
    }

    @Test
    void shutdownKillsAQubeThatIgnoresSigtermAfterTheTimeout() throws IOException {
        Path root = customRoot("trap '' TERM\necho ignoring TERM\nwhile :; do sleep 1000 & wait $!; done\n");
        start(backend, spec("sys-a", new VolumeSpec(VolumeSpec.ROOT, root, true, false, 0)));
        // SIGTERM before the init has set its trap would end it at once
        Await.until("the init ignores SIGTERM", Duration.ofSeconds(5), () -> backend.consoleLog("sys-a").contains("ignoring TERM"));

        long began = System.nanoTime();
        backend.shutdown("sys-a", Duration.ofMillis(300));
        Duration took = Duration.ofNanos(System.nanoTime() - began);

        assertTrue(took.compareTo(Duration.ofMillis(300)) >= 0, "killed before the timeout: " + took);
        assertEquals(PowerState.Halted, backend.state("sys-a"));
        assertFalse(Files.exists(netnsFile(data, "sys-a")));
    }

    @Test
    void killStopsAtOnce() {
        start(backend, spec("sys-a"));

        backend.kill("sys-a");

        assertEquals(PowerState.Halted, backend.state("sys-a"));
        assertFalse(Files.exists(netnsFile(data, "sys-a")));
    }

    @Test
    void startingARunningQubeIsRefusedAndLeavesItRunning() {
        start(backend, spec("sys-a"));

        assertThrows(InvalidStateException.class, () -> backend.start(spec("sys-a")));

        assertEquals("sys-a\n", run("sys-a", "hostname").stdoutText());
    }

    @Test
    void failedStartLeavesNothingBehind() throws IOException {
        Path emptyRoot = Files.createDirectories(temp.resolve("empty-root"));
        Files.createDirectories(emptyRoot.resolve("tree"));

        AdminException e = assertThrows(AdminException.class,
                () -> start(backend, spec("sys-a", new VolumeSpec(VolumeSpec.ROOT, emptyRoot, true, false, 0))));

        assertTrue(e.getMessage().contains(" run -d ") && e.getMessage().contains("/bin/sh"), e.getMessage());
        assertEquals(PowerState.Halted, backend.state("sys-a"));
        assertFalse(Files.exists(netnsFile(data, "sys-a")));
        assertFalse(Files.exists(layoutOf(data).runcRoot().resolve("sys-a")));
        assertEquals(List.of(), cgroupsOf(data, "sys-a"));
    }

    @Test
    void destroyLeavesNothingOnTheHostAndCanBeRepeated() {
        start(backend, spec("sys-a"));
        InstanceLayout layout = layoutOf(data);
        assertFalse(cgroupsOf(data, "sys-a").isEmpty());

        backend.destroy("sys-a");

        assertFalse(Files.exists(netnsFile(data, "sys-a")));
        assertFalse(Files.exists(layout.runcRoot().resolve("sys-a")));
        assertFalse(Files.exists(layout.domainDirectory("sys-a")));
        assertEquals(List.of(), cgroupsOf(data, "sys-a"));
        assertEquals(List.of(), new CgroupDirectories(Path.of("/sys/fs/cgroup")).existing(layout.cgroupParent()));
        assertEquals("", backend.consoleLog("sys-a"));
        backend.destroy("sys-a");
    }

    @Test
    void aNewBackendOnTheSameDataDirectoryFindsRunningAndStoppedQubes() {
        start(backend, spec("sys-a"));
        start(backend, spec("sys-b"));
        run("sys-b", "kill", "-TERM", "1");
        Await.until("sys-b's init ends on SIGTERM from inside", Duration.ofSeconds(5), () -> backend.state("sys-b") == PowerState.Halted);

        LiteBackend restarted = backendOn(data);
        List<DomainStatus> domains = restarted.domains();

        assertTrue(domains.contains(new DomainStatus("sys-a", PowerState.Running)), domains.toString());
        assertTrue(domains.contains(new DomainStatus("sys-b", PowerState.Halted)), domains.toString());
        assertEquals("sys-a\n", restarted.exec("sys-a", List.of("hostname"), NO_INPUT, EXEC_TIMEOUT).stdoutText());
        restarted.start(spec("sys-b"));
        assertEquals(PowerState.Running, restarted.state("sys-b"));
    }

    @Test
    void twoInstancesRunTheSameQubeNameSideBySide() {
        Path otherData = temp.resolve("other-data");
        LiteBackend other = backendOn(otherData);
        start(backend, spec("sys-a"));
        start(other, spec("sys-a"));

        assertNotEquals(layoutOf(data).netnsName("sys-a"), layoutOf(otherData).netnsName("sys-a"));
        assertEquals(PowerState.Running, backend.state("sys-a"));
        assertEquals(PowerState.Running, other.state("sys-a"));
        other.destroy("sys-a");
        assertEquals(PowerState.Running, backend.state("sys-a"));
    }

    @Test
    void execPassesStdinAndReportsExitStatusAndStderr() {
        start(backend, spec("sys-a"));

        ExecResult cat = backend.exec("sys-a", List.of("cat"), "through stdin".getBytes(StandardCharsets.UTF_8),
                EXEC_TIMEOUT);
        ExecResult failing = run("sys-a", "sh", "-c", "echo oops >&2; exit 3");

        assertEquals("through stdin", cat.stdoutText());
        assertEquals(3, failing.exitStatus());
        assertEquals("oops\n", failing.stderrText());
    }

    @Test
    void execThatOverrunsItsTimeoutIsKilled() {
        start(backend, spec("sys-a"));

        AdminException e = assertThrows(AdminException.class,
                () -> backend.exec("sys-a", List.of("sleep", "77"), NO_INPUT, Duration.ofMillis(300)));

        assertTrue(e.getMessage().contains("sleep"), e.getMessage());
        // The killed program's parent reaps it when the kill lands; until then it may show as a zombie.
        Await.until("the overrunning sleep gone and reaped", Duration.ofSeconds(10), () -> {
            String processes = run("sys-a", "ps", "-o", "stat,args").stdoutText();
            return !processes.contains("sleep 77") && !processes.contains("Z ");
        });
        backend.shutdown("sys-a", Duration.ofSeconds(30));
        assertTrue(backend.consoleLog("sys-a").contains("qube sys-a down"),
                "nothing left of the exec kept the init from ending on SIGTERM: " + backend.consoleLog("sys-a"));
    }

    @Test
    void initReapsOrphanedProcesses() {
        start(backend, spec("sys-a"));

        assertEquals(0, run("sys-a", "sh", "-c", "sleep 0.1 >/dev/null 2>&1 &").exitStatus());

        Await.until("the orphaned sleep has ended and was reaped", Duration.ofSeconds(5), () -> {
            String processes = run("sys-a", "ps", "-o", "stat,args").stdoutText();
            return !processes.contains("sleep 0.1") && !processes.contains("Z ");
        });
    }

    @Test
    void execOfAMissingProgramIsRefused() {
        start(backend, spec("sys-a"));

        AdminException e = assertThrows(AdminException.class,
                () -> backend.exec("sys-a", List.of("no-such-program"), NO_INPUT, EXEC_TIMEOUT));

        assertTrue(e.getMessage().contains("no-such-program"), e.getMessage());
    }

    @Test
    void execInAHaltedQubeIsRefused() {
        assertThrows(InvalidStateException.class, () -> backend.exec("sys-a", List.of("true"), NO_INPUT, EXEC_TIMEOUT));
    }

    @Test
    void linkedClientReachesItsGatewayUntilDisconnected() {
        start(backend, spec("sys-net"));
        start(backend, spec("sys-c"));
        LinkSpec link = new LinkSpec("sys-c", 12, "sys-net", "10.137.0.12", "10.138.0.1");

        LinkEndpoint endpoint = backend.connect(link);

        assertEquals("vif12.0", endpoint.backendInterface());
        assertEquals("eth0", endpoint.clientInterface());
        // The qube has no CAP_NET_RAW for ping: ping from its network namespace with the host's busybox.
        assertTrue(pingFrom("sys-c", "10.138.0.1").succeeded());
        assertTrue(pingFrom("sys-net", "10.137.0.12").succeeded());
        String clientRoutes = run("sys-c", "ip", "route").stdoutText();
        assertTrue(clientRoutes.contains("default via 10.138.0.1 dev eth0"), clientRoutes);
        assertTrue(run("sys-c", "ip", "address", "show", "eth0").stdoutText().contains("inet 10.137.0.12/32"));
        assertTrue(run("sys-net", "ip", "route").stdoutText().contains("10.137.0.12 dev vif12.0"));

        backend.disconnect(link);

        assertFalse(pingFrom("sys-c", "10.138.0.1").succeeded());
        assertFalse(run("sys-net", "ip", "link").stdoutText().contains("vif12.0"));
        assertFalse(run("sys-c", "ip", "link").stdoutText().contains("eth0"));
        backend.disconnect(link);
    }

    @Test
    void aNetvmWhoseInitIsKilledFromTheHostTakesItsLinksDownByItself() {
        start(backend, providerSpec("sys-net"));
        start(backend, spec("sys-c"));
        backend.connect(new LinkSpec("sys-c", 12, "sys-net", "10.137.0.12", "10.138.0.1"));
        assertTrue(pingFrom("sys-c", "10.138.0.1").succeeded());
        String runcState = new ProcessHostCommands().runOrThrow(HostCommand.of(EXEC_TIMEOUT, List.of("runc", "--root",
                layoutOf(data).runcRoot().toString(), "state", "sys-net"))).stdoutText();
        java.util.regex.Matcher pid = java.util.regex.Pattern.compile("\"pid\": *([0-9]+)").matcher(runcState);
        assertTrue(pid.find(), runcState);

        new ProcessHostCommands().runOrThrow(HostCommand.of(EXEC_TIMEOUT, List.of("kill", "-9", pid.group(1))));

        // nobody asks the backend anything: it notices the death itself
        Await.until("the dead netvm's link to its client to go down", Duration.ofSeconds(5), () -> !clientLinkUp("sys-c"));
        assertFalse(pingFrom("sys-c", "10.138.0.1").succeeded());
        assertEquals(PowerState.Halted, backend.state("sys-net"));
    }

    /** Whether the client's eth0 is up with a carrier, that is, its netvm's end of the link is up. */
    private boolean clientLinkUp(String client) {
        HostCommandResult link = new ProcessHostCommands().run(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "-n",
                layoutOf(data).netnsName(client), "-o", "link", "show", "eth0")));
        return link.succeeded() && link.stdoutText().contains("state UP");
    }

    @Test
    void connectingAClientThatIsNotRunningIsRefused() {
        start(backend, spec("sys-net"));

        assertThrows(InvalidStateException.class,
                () -> backend.connect(new LinkSpec("sys-c", 12, "sys-net", "10.137.0.12", "10.138.0.1")));
    }

    private static List<String> members(Path cgroup) {
        try {
            return Files.readString(cgroup.resolve("cgroup.procs")).lines().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String cmdline(String pid) {
        try {
            return Files.readString(Path.of("/proc", pid, "cmdline"));
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void aNetworkProviderForwardsAndManagesItsOwnFirewallAnAppVmCannot() {
        start(backend, providerSpec("sys-net"));
        start(backend, spec("sys-c"));

        assertEquals("1", run("sys-net", "cat", "/proc/sys/net/ipv4/ip_forward").stdoutText().strip());
        ExecResult load = backend.exec("sys-net", List.of("nft", "-f", "-"),
                "table inet probe {\n chain input {\n type filter hook input priority 0; policy accept;\n }\n}\n".getBytes(),
                EXEC_TIMEOUT);
        assertEquals(0, load.exitStatus(), load.stderrText());
        assertTrue(run("sys-net", "nft", "list", "ruleset").stdoutText().contains("table inet probe"));
        ExecResult refused = backend.exec("sys-c", List.of("nft", "list", "ruleset"), NO_INPUT, EXEC_TIMEOUT);
        assertTrue(refused.exitStatus() != 0, "an AppVM cannot touch its packet filter: " + refused.stdoutText());
        assertEquals("nameserver 10.139.1.1\nnameserver 10.139.1.2\n", run("sys-c", "cat", "/etc/resolv.conf").stdoutText());
    }

    @Test
    void aNetworkProviderMakesTunDevicesAndRunsDaemonsAsAnotherUserAndAnAppVmCannot() {
        start(backend, providerSpec("sys-vpn"));
        start(backend, spec("sys-c"));
        List<String> makeTun = List.of("/sbin/ip", "tuntap", "add", "mode", "tun", "name", "tun0");
        List<String> asOtherUser = List.of("start-stop-daemon", "-S", "-c", "tor:tor", "-x", "/bin/id", "--", "-u");

        ExecResult tun = backend.exec("sys-vpn", makeTun, NO_INPUT, EXEC_TIMEOUT);
        assertEquals(0, tun.exitStatus(), tun.stderrText());
        assertTrue(run("sys-vpn", "/sbin/ip", "-br", "link", "show", "tun0").stdoutText().startsWith("tun0"));
        ExecResult other = run("sys-vpn", asOtherUser.toArray(String[]::new));
        assertEquals("60101", other.stdoutText().strip(), other.exitStatus() + " " + other.stderrText());
        assertEquals(0, run("sys-vpn", "mkdir", "/var/run/wireguard").exitStatus(), "/var/run is the qube's writable /run");
        assertTrue(run("sys-vpn", "ls", "-d", "/run/wireguard").stdoutText().contains("/run/wireguard"));

        ExecResult noTun = backend.exec("sys-c", makeTun, NO_INPUT, EXEC_TIMEOUT);
        assertNotEquals(0, noTun.exitStatus(), "an AppVM has no tun device: " + noTun.stdoutText());
        ExecResult noOtherUser = backend.exec("sys-c", asOtherUser, NO_INPUT, EXEC_TIMEOUT);
        assertNotEquals("60101", noOtherUser.stdoutText().strip(), "an AppVM cannot change its user");
        assertNotEquals(0, noOtherUser.exitStatus());
    }

    @Test
    void anAppVmsRootSetsItsGroupsAsXtermDoesBeforeItsShellButKeepsItsUser() {
        start(backend, spec("sys-c"));

        ExecResult groups = run("sys-c", "start-stop-daemon", "-S", "-c", ":user", "-x", "/bin/id", "--", "-G");
        assertEquals("1000", groups.stdoutText().strip(), groups.exitStatus() + " " + groups.stderrText());
        ExecResult user = run("sys-c", "start-stop-daemon", "-S", "-c", "user:user", "-x", "/bin/id", "--", "-u");
        assertNotEquals(0, user.exitStatus(), "an AppVM cannot change its user: " + user.stdoutText());
    }

    @Test
    void aVethUplinkReachesItsHostNamespaceAndGoesAwayOnDetach() {
        String outside = "bh-test-out-" + ProcessHandle.current().pid();
        HostCommands host = new ProcessHostCommands();
        host.runOrThrow(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "netns", "add", outside)));
        try {
            start(backend, providerSpec("sys-net"));
            UplinkSpec uplink = new UplinkSpec(UplinkSpec.Mode.VETH, "bhtestup0", outside, "uplink0");
            backend.attachUplink("sys-net", uplink);
            host.runOrThrow(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "-n", outside, "-batch", "-"))
                    .withStdin("address add 198.51.100.1/24 dev bhtestup0\nlink set bhtestup0 up\n".getBytes()));
            ExecResult up = backend.exec("sys-net", List.of("sh", "-c",
                    "ip address add 198.51.100.2/24 dev uplink0 && ip link set uplink0 up"), NO_INPUT, EXEC_TIMEOUT);
            assertEquals(0, up.exitStatus(), up.stderrText());

            assertTrue(pingFrom("sys-net", "198.51.100.1").succeeded());

            backend.detachUplink("sys-net", uplink);
            assertFalse(host.run(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "-n", outside, "link", "show", "bhtestup0"))).succeeded(),
                    "the host end goes with the uplink");
            backend.detachUplink("sys-net", uplink);
        } finally {
            host.run(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "netns", "delete", outside)));
        }
    }

    @Test
    void aMovedOrMacvlanUplinkComesFromAHostInterfaceAndAMovedOneGoesBack() {
        // one end of a veth pair with no address stands for the machine's network card
        String card = "bhcard" + (ProcessHandle.current().pid() % 100000);
        HostCommands host = new ProcessHostCommands();
        host.runOrThrow(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "link", "add", card, "type", "veth", "peer", "name", card + "p")));
        try {
            start(backend, providerSpec("sys-net"));
            UplinkSpec macvlan = new UplinkSpec(UplinkSpec.Mode.MACVLAN, card, null, "uplink1");
            backend.attachUplink("sys-net", macvlan);
            assertTrue(run("sys-net", "cat", "/sys/class/net/uplink1/type").stdoutText().strip().equals("1"));
            backend.detachUplink("sys-net", macvlan);

            UplinkSpec moved = new UplinkSpec(UplinkSpec.Mode.MOVE, card, null, "uplink0");
            backend.attachUplink("sys-net", moved);
            assertFalse(host.run(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "link", "show", card))).succeeded(),
                    "a moved card leaves the host's namespace");
            assertEquals(0, backend.exec("sys-net", List.of("/sbin/ip", "link", "show", "uplink0"), NO_INPUT, EXEC_TIMEOUT).exitStatus());
            backend.detachUplink("sys-net", moved);
            assertTrue(host.run(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "link", "show", card))).succeeded(),
                    "the card is back on the host under its own name");
        } finally {
            host.run(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "link", "delete", card + "p")));
        }
    }

    @Test
    void aMovedUplinkGoesBackToTheHostUnderItsOwnNameWhenItsDomainIsKilledBeforeItsRoleTookItOut() {
        // one end of a veth pair stands for the machine's network card: with the namespace it would go
        String card = "bhkcard" + (ProcessHandle.current().pid() % 10000);
        HostCommands host = new ProcessHostCommands();
        host.runOrThrow(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "link", "add", card, "type", "veth", "peer", "name", card + "p")));
        try {
            start(backend, providerSpec("sys-net"));
            backend.attachUplink("sys-net", new UplinkSpec(UplinkSpec.Mode.MOVE, card, null, "uplink0"));
            assertFalse(host.run(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "link", "show", card))).succeeded(),
                    "a moved card leaves the host's namespace");

            backend.kill("sys-net");

            assertTrue(host.run(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "link", "show", card))).succeeded(),
                    "the card is not back on the host under its own name after its domain was killed");
        } finally {
            host.run(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "link", "delete", card + "p")));
        }
    }

    @Test
    void connectingAnExistingLinkAgainAdoptsIt() {
        start(backend, providerSpec("sys-net"));
        start(backend, spec("sys-c"));
        LinkSpec link = new LinkSpec("sys-c", 12, "sys-net", "10.137.0.12", "10.138.0.1");
        backend.connect(link);

        LinkEndpoint again = backend.connect(link);

        assertEquals("vif12.0", again.backendInterface());
        assertTrue(pingFrom("sys-c", "10.138.0.1").succeeded());
    }

    private DomainSpec providerSpec(String name) {
        DomainSpec plain = spec(name);
        return new DomainSpec(name, plain.qid(), plain.klass(), plain.memoryMiB(), plain.maxmemMiB(), plain.vcpus(),
                plain.kernelopts(), true, plain.volumes());
    }

    private HostCommandResult pingFrom(String name, String address) {
        return new ProcessHostCommands().run(HostCommand.of(EXEC_TIMEOUT, List.of("ip", "netns", "exec",
                layoutOf(data).netnsName(name), "/bin/busybox", "ping", "-c", "1", "-W", "1", address)));
    }

    private LiteBackend backendOn(Path dataDirectory) {
        return new LiteBackend(dataDirectory, SETTINGS, new ProcessHostCommands(), HostPaths.system());
    }

    private void start(LiteBackend on, DomainSpec spec) {
        started.add(new Started(on, spec.name()));
        on.start(spec);
    }

    /** A domain with the given volumes; without any, it runs on the built-in root with throwaway /rw. */
    private static DomainSpec spec(String name, VolumeSpec... volumes) {
        return new DomainSpec(name, 7, QubeClass.AppVM, 64, 64, 1, "", false, List.of(volumes));
    }

    private VolumeSpec privateVolume(String name) {
        return VolumeSpec.persistent(VolumeSpec.PRIVATE, temp.resolve("private").resolve(name), 32L << 20, 0);
    }

    /** A root volume with just busybox and the given init script body. */
    private Path customRoot(String initBody) throws IOException {
        Path root = temp.resolve("custom-root");
        Path bin = Files.createDirectories(root.resolve("tree/bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        for (String applet : List.of("sh", "sleep")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        Path init = Files.createDirectories(root.resolve("tree/sbin")).resolve("qube-init");
        Files.writeString(init, "#!/bin/sh\n" + initBody);
        Files.setPosixFilePermissions(init, PosixFilePermissions.fromString("rwxr-xr-x"));
        return root;
    }

    private ExecResult run(String name, String... command) {
        return backend.exec(name, List.of(command), NO_INPUT, EXEC_TIMEOUT);
    }

    static InstanceLayout layoutOf(Path dataDirectory) {
        return new InstanceLayout(dataDirectory);
    }

    static Path netnsFile(Path dataDirectory, String name) {
        return Path.of("/run/netns").resolve(layoutOf(dataDirectory).netnsName(name));
    }

    static List<Path> cgroupsOf(Path dataDirectory, String name) {
        return new CgroupDirectories(Path.of("/sys/fs/cgroup")).existing(layoutOf(dataDirectory).cgroupsPath(name));
    }
}
