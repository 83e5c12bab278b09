package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.junit.Test;

import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.ScratchNetwork;

/**
 * README's networking example on the qemu backend, unchanged: a copy of the distribution whose first start runs with
 * {@code backend=qemu} and the qemu feature in its boot list (so bulkhead-debian is installed as a VM image and
 * sys-net, sys-firewall and work are made from it), sys-net's uplink given with {@code qvm:setup --uplink veth} to a
 * "LAN" namespace of the test's own, then the session blocks of README's {@code == Networking} section run through
 * {@code bin/client} and compared with what README shows, by the rule of {@link ReadmeSessions}.
 *
 * <p>Then the example is shown in force on real VMs: starting work boots sys-net and sys-firewall first, each a QEMU
 * process (no runc container) booting bulkhead-debian's image through an overlay of its own, under TCG here. In the LAN
 * namespace 93.184.216.34 has a web server on 443 and one on 80, and a DNS resolver answers at the router, the one
 * README's {@code --dns} names: from work, 443 answers; not one SYN to 80 arrives at the LAN; a name asked of Qubes'
 * virtual DNS address 10.139.1.1 (the rule {@code specialtarget=dns}) is answered by the LAN's resolver, through
 * sys-net's DNAT; the resolver asked directly is not reached. Nothing leaves the namespaces the test made. A command in
 * work that outlives its timeout is killed in the guest.
 */
public class ReadmeQemuIT {
    /** A first start installs the Debian template as a 1 GiB image and makes seven qubes. */
    private static final Duration FIRST_START = Duration.ofSeconds(300);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);
    /** Three TCG boots of the Debian image, one after the other, on a machine other builds share. */
    private static final Duration CHAIN_START = Duration.ofSeconds(480);
    private static final String NETWORKING = "== Networking";
    /** README's example host: the firewall rule on work accepts it on 443 only. */
    private static final String HOST = "93.184.216.34";
    private static final String ROUTER = "192.168.1.1";
    private static final String SYS_NET = "192.168.1.50";
    private static final String NAME = "example.readme.test";
    private static final List<String> CHAIN = List.of("sys-net", "sys-firewall", "work");

    private final String uplink = "bhrq" + ProcessHandle.current().pid() % 100000;
    private ScratchNetwork network;
    private String lan;
    private Path home;

    @After
    public void tearDown() throws IOException {
        try {
            if (home != null && Files.exists(home.resolve("data/run/bulkhead.pid"))) {
                for (String qube : HostCommand.run(bin("client"), "qvm:ls", "--running", "--raw-list").stdout().lines().toList()) {
                    if (!qube.equals("dom0")) {
                        HostCommand.run(bin("client"), "qvm:kill", qube);
                    }
                }
                HostCommand.run(bin("stop"));
            }
        } finally {
            if (network != null) {
                network.close();
            }
            DistroCopy.delete(home);
        }
    }

    private String bin(String name) {
        return home.resolve("bin").resolve(name).toString();
    }

    @Test
    public void readmesNetworkingExampleRunsUnchangedOnQemuAndItsRulesHoldInTheVms() throws IOException {
        long begin = System.nanoTime();
        home = DistroCopy.make("bulkhead-readme-qemu-");
        // as shipped (its templates, the first start that sets the platform up), with the qemu backend from the start
        Files.createSymbolicLink(home.resolve("templates"), DistroCopy.DISTRO.resolve("templates"));
        Files.createSymbolicLink(home.resolve("images"), DistroCopy.DISTRO.resolve("images"));
        Files.copy(DistroCopy.DISTRO.resolve("etc/dev.bulkhead.setup.cfg"), home.resolve("etc/dev.bulkhead.setup.cfg"),
                StandardCopyOption.REPLACE_EXISTING);
        setting("dev.bulkhead.core.cfg", "backend", "qemu");
        Path features = home.resolve("etc/dev.bulkhead.features.cfg");
        Files.writeString(features, Files.readString(features).replaceAll("(?m)^boot = .*$", "$0, qemu"));
        setting("dev.bulkhead.backend.qemu.cfg", "bootTimeoutSeconds", "180");
        buildLan();

        HostCommand.Result started = HostCommand.run(bin("start"));
        assertEquals("bin/start: " + started.stdout() + started.stderr(), 0, started.exitStatus());
        Await.until("the first start to be done", FIRST_START, () -> log().contains("first start: done"));
        long setUp = System.nanoTime();

        String given = ok("qvm:setup", "--uplink", "veth", "--interface", uplink, "--namespace", lan, "--address", SYS_NET + "/24",
                "--gateway", ROUTER, "--dns", ROUTER);
        assertTrue(given, given.startsWith("sys-net's uplink: uplink.mode=veth"));
        Await.until("qvm:ls to stop warning of sys-net's uplink", Duration.ofSeconds(30), () -> !client(COMMAND_TIMEOUT, "qvm:ls").stderrText()
                .contains("sys-net"));

        List<ReadmeSessions.Block> blocks = ReadmeSessions.section(Files.readAllLines(ReadmeSessions.README), NETWORKING);
        assertFalse("README.adoc's " + NETWORKING + " has sessions", blocks.isEmpty());
        for (ReadmeSessions.Block block : blocks) {
            assertEquals(block + " runs as written", "", block.role());
            for (ReadmeSessions.Step step : block.steps(Map.of())) {
                run(step);
            }
        }

        // the example in force: work and the chain behind it, each a VM booting bulkhead-debian's image
        long chainBegin = System.nanoTime();
        HostCommandResult start = client(CHAIN_START, "qvm:start", "work");
        assertEquals("qvm:start work: " + start.stdoutText() + start.stderrText(), 0, start.exitStatus());
        long chainUp = System.nanoTime();
        for (String qube : CHAIN) {
            assertIsAQemuVmOfTheDebianImage(qube);
        }
        Path runc = home.resolve("data/lite/runc");
        assertTrue("no runc container: " + runc, !Files.isDirectory(runc) || listing(runc).isEmpty());
        String kernel = ok("qvm:run", "work", "uname", "-r").strip();
        assertNotEquals("work runs a kernel of its own", HostCommand.run("uname", "-r").stdout().strip(), kernel);
        assertTrue(ok("qvm:run", "work", "cat", "/etc/debian_version").startsWith("12."));
        // a command that outlives its timeout is killed in the guest, whose Debian root has no kill program (procps)
        HostCommandResult slow = client(COMMAND_TIMEOUT, "qvm:run", "--timeout", "2", "work", "sleep 600");
        assertTrue("qvm:run --timeout 2: " + slow.stderrText(), slow.exitStatus() != 0
                && slow.stderrText().contains("did not finish within 2000 ms and was killed"));
        String processes = ok("qvm:run", "work", "ps");
        assertFalse("the timed-out sleep was killed: " + processes, processes.contains("sleep 600"));

        lanUp();
        Await.until("work to reach " + HOST + ":443 through sys-firewall and sys-net", Duration.ofSeconds(60),
                () -> fetch(443).startsWith("HTTP/1."));
        assertTrue("SYNs to 443 arrive at the LAN", packets("syn443") > 0);
        String refused = fetch(80);
        assertFalse("work fetched a page on port 80: " + refused, refused.startsWith("HTTP/1."));
        assertEquals("SYNs to port 80 that reached the LAN", 0, packets("syn80"));

        String answer = ok("qvm:run", "work", "nslookup", "-type=a", NAME, "10.139.1.1");
        assertTrue("the LAN's resolver answers work through sys-net: " + answer, answer.contains(HOST));
        assertTrue("queries to the virtual DNS address arrive at the router", packets("dns") > 0);
        long dnsBefore = packets("dns");
        HostCommandResult direct = client(COMMAND_TIMEOUT, "qvm:run", "work", "nslookup", "-type=a", "-timeout=2", "-retry=1", NAME, ROUTER);
        assertFalse("work asked the router directly: " + direct.stdoutText(), direct.stdoutText().contains(HOST));
        assertEquals("a query to the resolver itself, which no rule accepts, reached it", dnsBefore, packets("dns"));

        System.out.printf("ReadmeQemuIT: first start on qemu (template image install, qubes) %d ms; README's networking sessions %d ms;"
                + " qvm:start work booted three TCG VMs in %d ms; the whole test %d ms%n", millis(begin, setUp), millis(setUp, chainBegin),
                millis(chainBegin, chainUp), millis(begin, System.nanoTime()));
    }

    /** The qube runs as a QEMU process that boots bulkhead-debian's root image through an overlay of its own. */
    private void assertIsAQemuVmOfTheDebianImage(String qube) throws IOException {
        Path domain = home.resolve("data/qemu/domains").resolve(qube);
        String pid = Files.readString(domain.resolve("qemu.pid")).strip();
        String exe = Files.readSymbolicLink(Path.of("/proc", pid, "exe")).toString();
        assertTrue(qube + " runs as " + exe, exe.endsWith("/qemu-system-x86_64"));
        String cmdline = Files.readString(Path.of("/proc", pid, "cmdline")).replace('\0', ' ');
        assertTrue(qube + "'s QEMU boots its overlay: " + cmdline, cmdline.contains(domain.resolve("root.qcow2").toString()));
        HostCommand.Result info = HostCommand.run("qemu-img", "info", "-U", domain.resolve("root.qcow2").toString());
        assertTrue(qube + "'s overlay is on bulkhead-debian's image: " + info.stdout(),
                info.stdout().contains(home.resolve("data/qubes/bulkhead-debian/root/root.img").toString()));
    }

    /**
     * The test's "LAN": the namespace sys-net's uplink goes to, with 93.184.216.34 (README's example host) on its
     * loopback, a web server on 443 and one on 80 there, and counters of the SYNs to each and of DNS to the router.
     */
    private void buildLan() throws IOException {
        network = new ScratchNetwork("rq");
        lan = network.namespace("lan");
        network.ip(lan, "address add " + HOST + "/32 dev lo");
        Path web = network.directory("web");
        Files.writeString(web.resolve("index.html"), "the example host\n");
        network.loadRuleset(lan, """
                table inet readme {
                  counter syn443 {}
                  counter syn80 {}
                  counter dns {}
                  chain prerouting {
                    type filter hook prerouting priority -300; policy accept;
                    ip daddr %1$s tcp dport 443 tcp flags & (syn | ack) == syn counter name syn443
                    ip daddr %1$s tcp dport 80 tcp flags & (syn | ack) == syn counter name syn80
                    ip daddr %2$s meta l4proto { tcp, udp } th dport 53 counter name dns
                  }
                }
                """.formatted(HOST, ROUTER));
        network.start(lan, "busybox", "httpd", "-f", "-p", HOST + ":443", "-h", web.toString());
        network.start(lan, "busybox", "httpd", "-f", "-p", HOST + ":80", "-h", web.toString());
    }

    /** Once sys-net has made its uplink, the LAN's end gets the router's address, and the resolver listens there. */
    private void lanUp() {
        network.ip(lan, "address add " + ROUTER + "/24 dev " + uplink, "link set " + uplink + " up");
        network.start(lan, "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
                "--listen-address=" + ROUTER, "--pid-file=", "--user=root", "--address=/" + NAME + "/" + HOST);
        Await.until("the LAN's resolver to listen", Duration.ofSeconds(10),
                () -> !ScratchNetwork.run(null, "ip", "netns", "exec", lan, "ss", "-Hlun", "src", ROUTER + ":53").stdout().isBlank());
    }

    private long packets(String counter) {
        return network.packets(lan, "readme", counter);
    }

    /** The first line the example host answers work with on {@code port}, or what failed. */
    private String fetch(int port) {
        HostCommandResult r = client(COMMAND_TIMEOUT, "qvm:run", "work",
                "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout 5 nc " + HOST + " " + port + " | head -n 1");
        return r.stdoutText().strip() + r.stderrText();
    }

    /** Runs a step as README.adoc's "Test it" says, {@code g!} lines through {@code bin/client -c}, and compares as ReadmeIT does. */
    private void run(ReadmeSessions.Step step) {
        assertEquals("README.adoc:" + step.line() + ": a g! line", ReadmeSessions.Kind.SHELL, step.kind());
        HostCommandResult r = client(COMMAND_TIMEOUT, "-c", step.command());
        String where = "README.adoc:" + step.line() + ": g! " + step.command();
        List<String> printed = ReadmeSessions.printed(r.stdoutText(), r.stderrText());
        String shown = "\n--- README shows:\n" + String.join("\n", step.expected()) + "\n--- printed (exit " + r.exitStatus() + "):\n"
                + String.join("\n", printed.stream().map(ReadmeSessions::normalize).toList());
        assertFalse(where + ": did not finish", r.timedOut());
        if (!ReadmeSessions.matches(step.expected(), printed)) {
            fail(where + shown);
        }
        boolean failed = r.stderrText().lines().anyMatch(l -> !l.isBlank() && !l.startsWith("warning: "));
        if (failed) {
            assertTrue(where + ": an error was printed, yet it exited 0" + shown, r.exitStatus() != 0);
        } else {
            assertEquals(where + ": exit status" + shown, 0, r.exitStatus());
        }
    }

    private HostCommandResult client(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of(bin("client")));
        command.addAll(List.of(args));
        return HostCommand.HOST.run(dev.bulkhead.api.host.HostCommand.of(timeout, command).withDirectory(home));
    }

    private String ok(String... args) {
        HostCommandResult r = client(COMMAND_TIMEOUT, args);
        assertEquals(List.of(args) + ": " + r.stdoutText() + r.stderrText(), 0, r.exitStatus());
        return r.stdoutText();
    }

    /** Sets {@code key} in one of the copy's etc/ files, replacing its line or adding one. */
    private void setting(String file, String key, String value) throws IOException {
        Path path = home.resolve("etc").resolve(file);
        String text = Files.readString(path);
        String line = key + " = " + value;
        text = text.matches("(?s).*(?m:^" + key + " = .*$).*") ? text.replaceAll("(?m)^" + key + " = .*$", line) : text + line + "\n";
        Files.writeString(path, text);
    }

    private static List<Path> listing(Path dir) {
        try (var files = Files.list(dir)) {
            return files.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String log() {
        try {
            return Files.readString(home.resolve("data/log/bulkhead.log"));
        } catch (IOException e) {
            return "";
        }
    }

    private static long millis(long from, long to) {
        return Duration.ofNanos(to - from).toMillis();
    }
}
