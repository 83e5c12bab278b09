package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.FileVisitResult;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.After;
import org.junit.Before;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.util.tracker.ServiceTracker;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.hypervisor.DomainProcess;
import dev.bulkhead.api.hypervisor.DomainProcesses;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.template.TemplateInfo;
import dev.bulkhead.api.template.TemplateStore;

/**
 * What every integration test shares: a Felix framework running the real Bulkhead bundles on a
 * fresh data directory per test class, and helpers to reach the admin service and the shell, run
 * commands on the host and in qubes, and wait for asynchronous outcomes. Every qube a test made is
 * removed after it, whether it passed or not.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public abstract class BulkheadTestSupport {
    static final String API = "dev.bulkhead.api";
    static final String CORE = "dev.bulkhead.core";
    static final String BACKEND_LITE = "dev.bulkhead.backend.lite";
    static final String SHELL = "dev.bulkhead.shell";
    static final String TEMPLATES = "dev.bulkhead.templates";

    /** The TemplateVM the core creates on a fresh data directory; it stays across tests. */
    static final String FIRST_TEMPLATE = "minimal";

    /** How long a qube may take to start, stop, or be re-adopted; and a service to come back. */
    static final Duration QUBE_TIMEOUT = Duration.ofSeconds(30);
    /** How long a command run in a qube may take. */
    static final Duration RUN_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration AS_USER_TIMEOUT = Duration.ofMinutes(3);

    /** Installed and started in this order, from the directory the build staged them in. */
    static final List<String> BUNDLES = List.of(
            "asm", "asm-tree", "asm-analysis", "asm-commons", "asm-util", "org.apache.aries.spifly.dynamic.bundle",
            "org.osgi.util.function", "org.osgi.util.promise", "org.osgi.service.component", "org.apache.felix.scr",
            "org.apache.felix.configadmin", "org.apache.felix.metatype",
            "org.apache.felix.gogo.runtime", "org.apache.felix.gogo.command",
            "jackson-core", "jackson-annotations", "jackson-databind",
            API, CORE, BACKEND_LITE, SHELL, "dev.bulkhead.role.netvm", "dev.bulkhead.role.firewall", TEMPLATES, "dev.bulkhead.role.tor",
            "dev.bulkhead.role.vpn", "dev.bulkhead.testing");

    /** A network namespace of the lite backend: {@code bh-<instance tag>-<qube>}. */
    private static final Pattern LITE_NETNS = Pattern.compile("bh-[0-9a-f]+-(.+)");

    @Inject
    protected BundleContext context;

    /** The lite backend's network namespaces that existed before the test, from other platforms on this host. */
    private Set<String> foreignNetns;

    @Configuration
    public Option[] configuration() throws IOException {
        Path staged = Path.of(System.getProperty("bulkhead.it.bundles", "target/bundles")).toAbsolutePath();
        List<Option> options = new ArrayList<>();
        for (String name : bundles()) {
            Path jar = staged.resolve(name + ".jar");
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: run the tests through Maven (mvn verify), which stages it");
            }
            options.add(bundle(jar.toUri().toString()));
        }
        options.add(junitBundles());
        options.add(frameworkProperty("bulkhead.data").value(TestDataDirectory.create(getClass()).toString()));
        options.add(frameworkProperty("bulkhead.etc").value(TestDataDirectory.createEtc(getClass(), workspace()).toString()));
        options.add(systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"));
        return options(options.toArray(Option[]::new));
    }

    /** The bundles this test class runs, by their staged names; {@link #BUNDLES} unless a test needs others. */
    protected List<String> bundles() {
        return BUNDLES;
    }

    /** Every test needs the core to have taken over the lite backend. */
    @Before
    public void awaitPlatform() {
        awaitLiteBackend();
        foreignNetns = liteNetns();
    }

    /** Waits until the admin service is registered and runs on the lite backend (after a start or a restart). */
    protected void awaitLiteBackend() {
        awaitTrue("the core to adopt the lite backend", QUBE_TIMEOUT, () -> "lite".equals(admin().backendName()),
                () -> "backendName() is '" + admin().backendName() + "'");
    }

    /**
     * Removes every qube but dom0 and the first template, stopping it first: nothing a test made
     * outlives it. A qube still used by another (as its netvm or template) goes in a later round.
     */
    @After
    public void removeQubes() {
        QubeAdmin admin = admin();
        List<String> problems = new ArrayList<>();
        for (Qube q : admin.list()) {
            if (q.qid() != 0 && q.state().isActive()) {
                try {
                    admin.kill(q.name());
                } catch (AdminException e) {
                    problems.add("kill " + q.name() + ": " + e.getMessage());
                }
            }
        }
        List<String> made = leftovers(admin);
        // a global default naming a qube would keep it from being removed
        admin.globalProperties().forEach((global, value) -> {
            if (made.contains(value.value())) {
                admin.setGlobalProperty(global, "");
            }
        });
        List<String> left = made;
        while (!left.isEmpty()) {
            List<String> refused = new ArrayList<>();
            for (String name : left) {
                try {
                    admin.remove(name);
                } catch (AdminException e) {
                    refused.add("remove " + name + ": " + e.getMessage());
                }
            }
            List<String> now = leftovers(admin);
            if (now.size() == left.size()) {
                problems.addAll(refused);
                break;
            }
            left = now;
        }
        TemplateStore templates = service(TemplateStore.class, null);
        for (TemplateInfo t : templates.list()) {
            try {
                templates.remove(t.name());
            } catch (AdminException e) {
                problems.add("remove template " + t.name() + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            fail("cleaning up after the test failed: " + problems);
        }
    }

    /** The repository this build runs in, where distro/ holds the built distribution. */
    static Path workspace() {
        return Path.of(System.getProperty("bulkhead.it.workspace", "..")).toAbsolutePath().normalize();
    }

    private static List<String> leftovers(QubeAdmin admin) {
        return admin.list().stream().filter(q -> q.qid() != 0 && !q.name().equals(FIRST_TEMPLATE)).map(Qube::name)
                .toList();
    }

    // ---- services and bundles ------------------------------------------------------------------

    /** The admin service as registered now; waits for it, as it may be coming back from a restart. */
    protected QubeAdmin admin() {
        return service(QubeAdmin.class, null);
    }

    /** A service of the type, matching the filter if one is given; waits for it. */
    protected <T> T service(Class<T> type, String filter) {
        return type.cast(awaitService("(&(objectClass=" + type.getName() + ")" + (filter == null ? "" : filter) + ")"));
    }

    protected Object awaitService(String filter) {
        ServiceTracker<Object, Object> tracker;
        try {
            tracker = new ServiceTracker<>(context, context.createFilter(filter), null);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(filter, e);
        }
        tracker.open(true);
        try {
            Object service = tracker.waitForService(QUBE_TIMEOUT.toMillis());
            if (service == null) {
                fail("no service " + filter + " within " + QUBE_TIMEOUT.toSeconds() + " s");
            }
            return service;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + filter, e);
        } finally {
            tracker.close();
        }
    }

    protected Bundle installedBundle(String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new AssertionError("bundle " + symbolicName + " is not installed"));
    }

    /** Stops the bundles in the order given, then starts them in the reverse order. */
    protected void restartBundles(String... symbolicNames) throws BundleException {
        for (String name : symbolicNames) {
            installedBundle(name).stop();
        }
        for (int i = symbolicNames.length - 1; i >= 0; i--) {
            installedBundle(symbolicNames[i]).start();
        }
    }

    // ---- the shell -----------------------------------------------------------------------------

    /**
     * Runs one Gogo command line in a session of its own and returns what it printed. A command
     * that fails throws, as it does in the console.
     */
    protected String shell(String commandLine) throws Exception {
        return runShell(commandLine, true).out();
    }

    /** Runs one Gogo command line as {@link #shell} does, a refusal thrown; what it printed on each stream. */
    protected Outcome shellPrinting(String commandLine) throws Exception {
        return runShell(commandLine, true);
    }

    /** What a Gogo command line printed on each stream, and whether it ended refused (it threw). */
    protected record Outcome(String out, String err, boolean refused) {
    }

    /** Runs a Gogo command line as {@link #shell} does; a refusal is part of the outcome, not thrown. */
    protected Outcome shellOutcome(String commandLine) throws Exception {
        return runShell(commandLine, false);
    }

    private Outcome runShell(String commandLine, boolean refusalThrows) throws Exception {
        awaitService("(osgi.command.scope=qvm)");
        CommandProcessor processor = service(CommandProcessor.class, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String message = null;
        try (CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), out, err)) {
            try {
                session.execute(commandLine);
            } catch (Exception e) {
                if (refusalThrows) {
                    throw e;
                }
                message = String.valueOf(e.getMessage());
            }
            session.getConsole().flush();
        }
        // as the client channel prints a refusal: its message on a line of its own, if it has one
        String printed = err.toString(StandardCharsets.UTF_8);
        return new Outcome(out.toString(StandardCharsets.UTF_8), message == null || message.isEmpty() ? printed : printed + message + "\n",
                message != null);
    }

    // ---- the data directory --------------------------------------------------------------------

    protected Path dataDir() {
        return Path.of(context.getProperty("bulkhead.data"));
    }

    /** The platform's etc directory; its template-keys/ holds the keys templates may be signed with. */
    protected Path etcDir() {
        return Path.of(context.getProperty("bulkhead.etc"));
    }

    protected Path stateFile() {
        return dataDir().resolve("qubes.json");
    }

    protected byte[] stateBytes() {
        try {
            return Files.readAllBytes(stateFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every path under the data directory, relative to it, in order. */
    protected Set<String> dataTree() {
        Path root = dataDir();
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.map(p -> root.relativize(p).toString()).collect(Collectors.toCollection(TreeSet::new));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Paths under the data directory that carry a qube's name as a whole path element. */
    protected List<String> dataPathsOf(String qube) {
        return dataTree().stream().filter(p -> Arrays.asList(p.split("/")).contains(qube)).toList();
    }

    // ---- qubes ---------------------------------------------------------------------------------

    protected ExecResult run(String qube, String... command) {
        return admin().run(qube, List.of(command), new byte[0], RUN_TIMEOUT);
    }

    /** Field 22 of /proc/1/stat: when the qube's init started, in clock ticks since the host booted. */
    protected String initStartTime(String qube) {
        String stat = runOk(qube, "cat", "/proc/1/stat");
        // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return after[22 - 3];
    }

    /** Runs a command in the qube and returns its output; fails unless it exits with 0. */
    protected String runOk(String qube, String... command) {
        ExecResult r = run(qube, command);
        assertEquals("exit status of " + List.of(command) + " in " + qube + " (stderr: " + r.stderrText() + ")", 0,
                r.exitStatus());
        return r.stdoutText();
    }

    /**
     * What a script prints run as user in a running lite qube, as a service runs by default; fails unless it exits with 0.
     * A file a service wrote in ~user (such as ~/QubesIncoming, 0700) is user's own, which the qube's root, without
     * CAP_DAC_OVERRIDE, cannot read.
     */
    protected String asUser(String qube, String script) throws Exception {
        DomainProcesses backend = (DomainProcesses) service(HypervisorBackend.class, "(" + HypervisorBackend.BACKEND_PROPERTY + "=lite)");
        DomainProcess p = backend.startProcess(qube, "user", List.of("sh", "-c", script), Map.of());
        p.stdin().close();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return p.stderr().readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        String out = new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8);
        int status = p.onExit().get(AS_USER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(script + " as user in " + qube + ": " + new String(err.get(), StandardCharsets.UTF_8), 0, status);
        return out;
    }

    /** dom0's used heap after a few full collections: what it holds, not what it has yet to collect. */
    protected static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** One line per qube with everything the admin service tells about it. */
    protected String describeQubes() {
        return admin().list().stream()
                .map(q -> q.name() + " qid=" + q.qid() + " " + q.klass() + " " + q.state() + " " + q.properties()
                        + " features=" + q.features() + " tags=" + q.tags())
                .collect(Collectors.joining("\n"));
    }

    // ---- the host ------------------------------------------------------------------------------

    /** Runs a command on the host and returns its standard output; fails unless it exits with 0. */
    protected static String host(String... command) {
        HostCommand.Result r = HostCommand.run(command);
        assertEquals(List.of(command) + " exit status (stderr: " + r.stderr() + ")", 0, r.exitStatus());
        return r.stdout();
    }

    /** Every lite-backend network namespace on the host, by name. */
    protected static Set<String> liteNetns() {
        Set<String> names = new TreeSet<>();
        for (String line : host("ip", "netns", "list").split("\n")) {
            String name = line.strip().split(" ")[0];
            if (LITE_NETNS.matcher(name).matches()) {
                names.add(name);
            }
        }
        return names;
    }

    /** The network namespaces this platform made for a qube (those of other platforms excluded). */
    protected List<String> netnsOf(String qube) {
        return ownNetns().stream().filter(n -> qube.equals(LITE_NETNS.matcher(n).replaceFirst("$1"))).toList();
    }

    /**
     * The network namespace a running qube of this platform is in, found from its init process, so
     * that a qube of the same name on another platform of this host is never taken for it.
     */
    protected String netnsOfRunning(String qube) {
        return host("ip", "netns", "identify", Long.toString(containerInitPid(qube))).strip();
    }

    /** This platform's network namespaces that appeared during the test. */
    protected List<String> ownNetns() {
        String prefix = "bh-" + instanceTag() + "-";
        return liteNetns().stream().filter(n -> !foreignNetns.contains(n) && n.startsWith(prefix)).toList();
    }

    /**
     * The tag the lite backend puts in this platform's host-wide names: the first three bytes of the
     * SHA-256 of its data directory, in hex; other platforms on this host (another build's tests, say)
     * have other tags.
     */
    protected String instanceTag() {
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(dataDir().toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(hash, 0, 3);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The containers the lite backend of this platform has in runc, by id. */
    protected List<String> runcContainers() {
        Path root = dataDir().resolve("lite").resolve("runc");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        return host("runc", "--root", root.toString(), "list", "--quiet").lines().map(String::strip)
                .filter(s -> !s.isEmpty()).sorted().toList();
    }

    /** The host pid of a running qube's first process, as runc reports it. */
    protected long containerInitPid(String qube) {
        String state = host("runc", "--root", dataDir().resolve("lite").resolve("runc").toString(), "state", qube);
        Matcher m = Pattern.compile("\"pid\":\\s*([0-9]+)").matcher(state);
        assertTrue("runc state of " + qube + " has no pid: " + state, m.find());
        return Long.parseLong(m.group(1));
    }

    /**
     * The cgroup directories a host process has of its own, in every hierarchy mounted under
     * /sys/fs/cgroup: those it shares with the test JVM are left out.
     */
    protected static List<Path> cgroupDirectoriesOf(long pid) {
        Set<String> paths = cgroupPaths(Path.of("/proc", Long.toString(pid), "cgroup"));
        paths.removeAll(cgroupPaths(Path.of("/proc/self/cgroup")));
        paths.remove("/");
        return cgroupDirectoriesEndingIn(paths);
    }

    /** The paths of a /proc/PID/cgroup file, whose lines read {@code id:controllers:path}. */
    private static Set<String> cgroupPaths(Path file) {
        Set<String> paths = new TreeSet<>();
        for (String line : readHost(file).split("\n")) {
            paths.add(line.split(":", 3)[2]);
        }
        return paths;
    }

    /**
     * Directories under /sys/fs/cgroup whose path ends in one of the given cgroup paths. Cgroups of
     * other processes come and go meanwhile: one that vanishes while it is being looked at is skipped.
     */
    private static List<Path> cgroupDirectoriesEndingIn(Set<String> cgroupPaths) {
        List<Path> found = new ArrayList<>();
        try {
            Files.walkFileTree(Path.of("/sys/fs/cgroup"), Set.of(), 5, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    if (cgroupPaths.stream().anyMatch(c -> dir.toString().endsWith(c))) {
                        found.add(dir);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Collections.sort(found);
        return found;
    }

    /** Mount points below the data directory in the host's mount table. */
    protected List<String> mountsBelowDataDir() {
        try {
            return TestDataDirectory.mountsBelow(dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    protected static String readHost(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    // ---- waiting -------------------------------------------------------------------------------

    /** Polls until the condition holds; fails with {@code what} and the last observation at the deadline. */
    protected static void awaitTrue(String what, Duration timeout, BooleanSupplier condition, Supplier<String> observed) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                // Not there yet (e.g. the service is being replaced): try again until the deadline.
                last = e;
            }
            if (System.nanoTime() - deadline > 0) {
                String seen;
                try {
                    seen = observed.get();
                } catch (RuntimeException e) {
                    seen = "cannot tell: " + e;
                }
                throw new AssertionError("waited " + timeout.toSeconds() + " s for " + what + "; " + seen
                        + (last == null ? "" : "; last error: " + last), last);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }
}
