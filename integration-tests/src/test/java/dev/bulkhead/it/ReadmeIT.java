package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Test;

import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.testing.Await;
import dev.bulkhead.testing.ScratchNetwork;

/**
 * README.adoc, run: every shell session it shows runs, in README's order, against a copy of the
 * distribution started as README says, {@code bin/bulkhead} in the foreground on a terminal (its first
 * start sets the Qubes layout up; the session after README's first command is typed into its shell,
 * and Ctrl-D there stops the platform at the end), and what each
 * command prints is compared with what README shows, by the rule README gives under "Test it" (see
 * {@link ReadmeSessions}). A block that is neither run nor marked fails the test, so a new example
 * cannot escape it.
 *
 * <p>The substitutions of {@code role=substitute} blocks keep traffic home: {@code eth0} is one end of
 * a veth pair whose other end is in a network namespace of the test's own, where the "LAN" router
 * (192.168.1.1) and the VPN provider's WireGuard server (198.51.100.7) are, with no route anywhere else.
 */
public class ReadmeIT {
    private static final Path WORKSPACE = Path.of(System.getProperty("bulkhead.it.workspace", "..")).toAbsolutePath().normalize();
    private static final Path README = ReadmeSessions.README;
    private static final Duration FIRST_START = Duration.ofSeconds(240);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);
    /** How long a block's {@code eventually} command may take to show what README shows. */
    private static final Duration EVENTUALLY = Duration.ofSeconds(60);
    /** A client key pair made with wg genkey and wg pubkey (README shows the public one), and the provider's key. */
    private static final String CLIENT_PRIVATE_KEY = "cN3EbEZ8jZvbT3AmfZZBl0OvyUy4IHRXTf+6+QG2m2o=";
    private static final String CLIENT_PUBLIC_KEY = "Im1peHeqbiQxZdfCgkvrK2v6CJ3LDC8HEonLxOh+NhI=";
    private static final String PROVIDER_PRIVATE_KEY = "qJRkybh33fw6RnPQG9hvt6uNnSK0xLT7sNguls/FsWk=";
    private static final String PROVIDER_PUBLIC_KEY = "jRBUjL2lM97+xBwyNWo4cTbIDyR3eYk5DGXyXSfkT0o=";
    private static final String PROVIDER_ENDPOINT = "198.51.100.7";

    private final long tag = ProcessHandle.current().pid() % 100000;
    private final String uplink = "bhrdm" + tag;
    private final String providerInterface = "bhrdwg" + tag;
    private ScratchNetwork network;
    private Path home;
    private Path scratch;
    private String display;
    /** README's first command, bin/bulkhead, in the foreground on a terminal of the test's own. */
    private PtyShell foreground;

    @After
    public void tearDown() throws IOException, InterruptedException {
        try {
            if (foreground != null) {
                foreground.close();
            }
            if (home != null && Files.exists(home.resolve("data/run/bulkhead.pid"))) {
                for (String line : HostCommand.run(bin("client"), "qvm:ls", "--running", "--raw-list").stdout().lines().toList()) {
                    if (!line.equals("dom0")) {
                        HostCommand.run(bin("client"), "qvm:kill", line);
                    }
                }
                HostCommand.run(bin("stop"));
            }
        } finally {
            if (network != null) {
                ScratchNetwork.run(null, "ip", "link", "delete", uplink);
                ScratchNetwork.run(null, "ip", "-n", namespace(), "link", "delete", providerInterface);
                network.close();
            }
            DistroCopy.delete(home);
            DistroCopy.delete(scratch);
        }
    }

    private String namespace() {
        return "bh-readme-" + ProcessHandle.current().pid() + "-lan";
    }

    private String bin(String name) {
        return home.resolve("bin").resolve(name).toString();
    }

    @Test
    public void theOutputRuleComparesWhatATerminalShowsWithPaddingAndPlaceholdersAsDocumented() {
        assertTrue(ReadmeSessions.matches(List.of("NAME  STATE", "work  Running"), List.of("NAME     STATE   ", "work     Running")));
        assertFalse("a word differs", ReadmeSessions.matches(List.of("work Running"), List.of("work Halted")));
        assertFalse("a line too many", ReadmeSessions.matches(List.of("work"), List.of("work", "personal")));
        assertFalse("a line missing", ReadmeSessions.matches(List.of("work", "personal"), List.of("work")));
        assertTrue("… in a line is any text", ReadmeSessions.matches(List.of("disp…"), List.of("disp4821")));
        assertFalse("… stays within its line", ReadmeSessions.matches(List.of("disp…"), List.of("disp1", "disp2")));
        assertTrue("… as a line is any lines", ReadmeSessions.matches(List.of("a", "…"), List.of("a", "b", "c")));
        assertTrue("… as a line may be no line", ReadmeSessions.matches(List.of("a", "…"), List.of("a")));
        assertTrue("a terminal shows what follows the last carriage return",
                ReadmeSessions.matches(List.of("done [###] 100%"), List.of("unpack [#  ] 30%\runpack [###] 100%\rdone [###] 100%")));
        assertFalse("... is text, not a placeholder", ReadmeSessions.matches(List.of("a ..."), List.of("a b")));
    }

    @Test
    public void everySessionBlockIsRunOrMarkedWithARoleThatNamesExistingTests() throws IOException {
        List<ReadmeSessions.Block> blocks = ReadmeSessions.parse(Files.readAllLines(README));
        assertTrue("README.adoc has sessions: " + blocks, blocks.size() > 10);
        for (ReadmeSessions.Block block : blocks) {
            assertTrue(block + ": role must be one of " + ReadmeSessions.ROLES + " or none",
                    block.role().isEmpty() || ReadmeSessions.ROLES.contains(block.role()));
            if (block.role().equals("tested-elsewhere")) {
                List<String> tests = List.of(block.attributes().getOrDefault("test", "").split(" "));
                for (String test : tests) {
                    assertTrue(block + ": test=" + test + " names no test of the workspace", testExists(test));
                }
            } else if (!block.role().equals("ci")) {
                assertFalse(block + " has commands", block.steps(Map.of()).isEmpty());
            }
        }
    }

    @Test
    public void everySessionOfTheReadmeRunsAsShown() throws IOException, InterruptedException {
        List<ReadmeSessions.Block> blocks = ReadmeSessions.parse(Files.readAllLines(README));
        assertTrue("README.adoc's sessions are checked first", blocks.stream().allMatch(b -> ReadmeSessions.ROLES.contains(b.role())
                || b.role().isEmpty()));
        startAsReadmeSays();
        Map<String, String> substitutions = substitutions();
        System.out.println("README sessions:");
        // the session that follows README's first command is typed into the shell that command opened
        ReadmeSessions.Block first = blocks.stream().filter(b -> b.role().isEmpty() && !b.script()).findFirst().orElseThrow();
        for (ReadmeSessions.Block block : blocks) {
            if (block == first) {
                for (ReadmeSessions.Step step : block.steps(Map.of())) {
                    assertEquals(block + ": g! lines only, typed into the shell", ReadmeSessions.Kind.SHELL, step.kind());
                    List<String> shown = foreground.line(step.command(), COMMAND_TIMEOUT);
                    assertTrue("README.adoc:" + step.line() + ": g! " + step.command() + " in bin/bulkhead's shell\n--- README shows:\n"
                            + String.join("\n", step.expected()) + "\n--- the terminal showed:\n" + String.join("\n", shown),
                            ReadmeSessions.matches(step.expected(), shown));
                }
                System.out.println("  " + block + ": typed into bin/bulkhead's shell");
                continue;
            }
            switch (block.role()) {
                case "ci" -> System.out.println("  " + block + ": run by .ci/run (install, build, the test command)");
                case "tested-elsewhere" -> System.out.println("  " + block + ": run by " + block.attributes().get("test"));
                case "", "substitute" -> {
                    long begin = System.nanoTime();
                    for (ReadmeSessions.Step step : block.steps(block.role().equals("substitute") ? substitutions : Map.of())) {
                        if (step.kind() == ReadmeSessions.Kind.SHELL && step.command().equals(block.attributes().get("eventually"))) {
                            // README, "Test it": what such a command shows comes a moment later (a window that opens)
                            Await.until("README.adoc:" + step.line() + " to show what README shows", EVENTUALLY, () -> attempt(step) == null);
                        }
                        run(step);
                    }
                    if (block.script()) {
                        awaitDeployedBundles();
                    }
                    System.out.println("  " + block + ": ran " + block.steps(Map.of()).size() + " command(s) in "
                            + (System.nanoTime() - begin) / 1_000_000 + " ms");
                }
                default -> fail(block + ": no such role");
            }
        }
        endTheForegroundShell();
    }

    /** Ctrl-D in bin/bulkhead's shell stops the platform (README, "Run it"), with its qubes halted first as in tearDown. */
    private void endTheForegroundShell() throws IOException, InterruptedException {
        for (String line : HostCommand.run(bin("client"), "qvm:ls", "--running", "--raw-list").stdout().lines().toList()) {
            if (!line.equals("dom0")) {
                HostCommand.run(bin("client"), "qvm:kill", line);
            }
        }
        assertEquals("bin/bulkhead ends with its shell, exit status 0", 0, foreground.endWithCtrlD(Duration.ofSeconds(60)));
        assertFalse("the platform stopped with it", HostCommand.run("pgrep", "-f", "bulkhead.home=" + home).exitStatus() == 0);
        assertTrue("nothing answers bin/client any more", HostCommand.run(bin("client"), "qvm:ls").exitStatus() != 0);
    }

    /**
     * README's first command builds and starts the distribution (the build is .ci/run's); the test runs the
     * one the build made as README does, bin/bulkhead in the foreground, on a terminal of its own.
     */
    private void startAsReadmeSays() throws IOException, InterruptedException {
        home = DistroCopy.make("bulkhead-readme-");
        HostCommand.Result copied = HostCommand.run("cp", "-a", DistroCopy.DISTRO.resolve("examples").toString(), home.toString());
        assertEquals(copied.stderr(), 0, copied.exitStatus());
        Files.createSymbolicLink(home.resolve("templates"), DistroCopy.DISTRO.resolve("templates"));
        Files.copy(DistroCopy.DISTRO.resolve("etc/dev.bulkhead.setup.cfg"), home.resolve("etc/dev.bulkhead.setup.cfg"),
                StandardCopyOption.REPLACE_EXISTING);
        scratch = Files.createTempDirectory(Path.of("/tmp"), "bulkhead-readme-files-");
        Files.createDirectories(scratch.resolve("tmp"));
        buildLan();

        display = Dom0Xvfb.display();
        Map<String, String> env = new LinkedHashMap<>(environment());
        foreground = PtyShell.start(home, env, FIRST_START);
        Await.until("the first start to be done", FIRST_START, () -> log().contains("first start: done"));
    }

    /** The test's "LAN": the far end of the uplink veth, the router's address and the VPN provider's WireGuard server. */
    private void buildLan() throws IOException {
        network = new ScratchNetwork("readme");
        String lan = network.namespace("lan");
        assertEquals(namespace(), lan);
        ScratchNetwork.check(ScratchNetwork.run(null, "ip", "link", "add", uplink, "type", "veth", "peer", "name", "router0", "netns", lan));
        ScratchNetwork.check(ScratchNetwork.run(null, "ip", "link", "set", uplink, "up"));
        network.ip(lan, "address add 192.168.1.1/24 dev router0", "link set router0 up",
                "address add " + PROVIDER_ENDPOINT + "/32 dev lo");
        Path key = scratch.resolve("provider.key");
        Files.writeString(key, PROVIDER_PRIVATE_KEY + "\n");
        ScratchNetwork.check(ScratchNetwork.run(null, "sh", "-c",
                "ip netns exec " + lan + " wireguard-go " + providerInterface + " </dev/null >/dev/null 2>&1"));
        ScratchNetwork.check(network.exec(lan, null, "wg", "set", providerInterface, "private-key", key.toString(), "listen-port", "51820",
                "peer", CLIENT_PUBLIC_KEY, "allowed-ips", "10.64.0.2/32"));
        network.ip(lan, "address add 10.64.0.1/24 dev " + providerInterface, "link set " + providerInterface + " up");
        Files.writeString(scratch.resolve("provider.conf"), """
                [Interface]
                PrivateKey = %s
                Address = 10.64.0.2/32
                DNS = 10.64.0.1

                [Peer]
                PublicKey = %s
                AllowedIPs = 0.0.0.0/0
                Endpoint = %s:51820
                PersistentKeepalive = 25
                """.formatted(CLIENT_PRIVATE_KEY, PROVIDER_PUBLIC_KEY, PROVIDER_ENDPOINT));
    }

    /** README, "Test it": what role=substitute replaces, as whole words. */
    private Map<String, String> substitutions() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("eth0", uplink);
        s.put("/opt/bulkhead", home.toString());
        s.put("/path/to", home.toString());
        s.put("/root/provider.conf", scratch.resolve("provider.conf").toString());
        s.put("/tmp/myroot", scratch.resolve("tmp/myroot").toString());
        return s;
    }

    /** Runs a {@code g!} step once: {@code null} when it printed what README shows, else what it printed. */
    private String attempt(ReadmeSessions.Step step) {
        List<String> printed = printed(execute(step));
        return ReadmeSessions.matches(step.expected(), printed) ? null : String.join("\n", printed);
    }

    /** Runs a step as README.adoc's "Test it" says: {@code g!} lines through {@code bin/client}, the rest with {@code sh}. */
    private HostCommandResult execute(ReadmeSessions.Step step) {
        List<String> command = step.kind() == ReadmeSessions.Kind.SHELL ? List.of(bin("client"), "-c", step.command())
                : List.of("sh", "-ec", step.command());
        return HostCommand.HOST.run(dev.bulkhead.api.host.HostCommand.of(COMMAND_TIMEOUT, command)
                .withDirectory(home).withEnvironment(environment()));
    }

    /** What a step printed, standard output then standard error, split on newlines only (a carriage return is part of a line). */
    private static List<String> printed(HostCommandResult r) {
        return ReadmeSessions.printed(r.stdoutText(), r.stderrText());
    }

    /** A session's environment: the test's own home, and dom0's display (README's GUI: "the one this terminal runs on"). */
    private Map<String, String> environment() {
        return Map.of("HOME", scratch.toString(), "DISPLAY", display);
    }

    private void run(ReadmeSessions.Step step) {
        HostCommandResult r = execute(step);
        String where = "README.adoc:" + step.line() + ": " + (step.kind() == ReadmeSessions.Kind.SHELL ? "g! " : "") + step.command();
        assertFalse(where + ": did not finish within " + COMMAND_TIMEOUT.toSeconds() + " s", r.timedOut());
        List<String> stderr = List.of(r.stderrText().split("\n"));
        List<String> printed = printed(r);
        String shown = "\n--- README shows:\n" + String.join("\n", step.expected()) + "\n--- printed (exit " + r.exitStatus() + "):\n"
                + String.join("\n", printed.stream().map(ReadmeSessions::normalize).toList());
        if (step.kind() == ReadmeSessions.Kind.SCRIPT) {
            assertEquals(where + ": exit status" + shown, 0, r.exitStatus());
            return;
        }
        if (!ReadmeSessions.matches(step.expected(), printed)) {
            fail(where + shown);
        }
        boolean failed = stderr.stream().anyMatch(l -> !l.isBlank() && !l.startsWith("warning: "));
        if (failed) {
            assertTrue(where + ": an error was printed, yet it exited 0" + shown, r.exitStatus() != 0);
        } else {
            assertEquals(where + ": exit status" + shown, 0, r.exitStatus());
        }
    }

    /** After a script, the bundles it put into deploy/ are active before the next session uses them (README: within a second). */
    private void awaitDeployedBundles() throws IOException {
        List<Path> jars;
        try (Stream<Path> files = Files.list(home.resolve("deploy"))) {
            jars = files.filter(f -> f.toString().endsWith(".jar")).toList();
        }
        for (Path jar : jars) {
            Await.until(jar.getFileName() + " to be active", Duration.ofSeconds(10), () -> HostCommand.run(bin("client"), "lb", "-l").stdout()
                    .lines().anyMatch(l -> l.contains("|Active") && l.contains("|file:" + jar + "|")));
        }
    }

    private boolean testExists(String test) {
        if (!test.matches("[A-Z][A-Za-z0-9]*")) {
            return false;
        }
        try (Stream<Path> files = Files.walk(WORKSPACE)) {
            return files.anyMatch(f -> f.getFileName().toString().equals(test + ".java") && f.toString().contains("/src/test/java/"));
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
}
