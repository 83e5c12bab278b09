package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.After;
import org.junit.Test;
import org.osgi.framework.ServiceRegistration;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.firewall.FirewallRule;

/**
 * What every hypervisor backend must do, asserted through the platform's public services and {@code qvm:*} commands
 * only, in a real Felix with the real core and roles: lifecycle, exec with stdin and exit status, pause, re-adoption
 * after the platform's bundles restart, a domain killed on the host seen as a crash, a link with traffic, a firewall
 * rule enforced end to end, volumes, disposables. A backend's class says only which backend it is, how the platform
 * is put on it, where its domain's host process is, and which optional {@link Ability abilities} it claims; an
 * ability it does not claim must be refused clearly.
 * <p>
 * One qube, {@value #SHARED}, is started once for the class and serves the cases that leave it as they found it
 * (exec, pause, re-adoption); the others make their own and remove them.
 */
public abstract class BackendContract extends GatewayTestSupport {
    /** What a backend may do or not; the contract demands it of a backend that claims it, and a refusal otherwise. */
    protected enum Ability {
        /** Volume revisions and revert ({@code qvm:volume revert}). */
        VOLUME_REVISIONS
    }

    static final String SHARED = "c-shared";
    /** Where the outside listens beside its web server: a stream of lines. */
    private static final int STREAM = OutsideNetwork.STREAM_PORT;
    private static final Pattern PACKETS = Pattern.compile("packets ([0-9]+)");

    /** Test methods of this class still to end; when none are, the shared qube goes too. Static: one class, one framework. */
    private static int remaining = -1;

    private final String backend;
    private final Set<Ability> abilities;
    /** Whether this case was counted off {@link #remaining}: the clean-up runs twice, from each test support. */
    private boolean counted;

    protected BackendContract(String backend, Ability... claimed) {
        this.backend = backend;
        this.abilities = claimed.length == 0 ? EnumSet.noneOf(Ability.class) : EnumSet.copyOf(Arrays.asList(claimed));
    }

    /** Puts the core on this backend, configured; called before every case, so it must be idempotent. */
    protected abstract void useBackend() throws Exception;

    /** The symbolic name of the backend's bundle, restarted with the core in the re-adoption case. */
    protected abstract String backendBundle();

    /** The host process that is the running domain: killing it is the domain dying under the platform. */
    protected abstract long domainProcess(String qube);

    /** Every case runs with the core on this backend (after a restart of the core too). */
    @Override
    protected void awaitLiteBackend() {
        try {
            useBackend();
        } catch (Exception e) {
            throw new AssertionError("cannot put the platform on the " + backend + " backend", e);
        }
        awaitTrue("the core to adopt the " + backend + " backend", QUBE_TIMEOUT, () -> backend.equals(admin().backendName()),
                () -> "backendName() is '" + admin().backendName() + "'");
    }

    // ---- lifecycle and exec --------------------------------------------------------------------

    @Test
    public void aQubeIsCreatedStartedShutDownAndRemovedWithoutATrace() {
        QubeAdmin admin = admin();
        Qube created = admin.create(new QubeSpec("c-life", QubeClass.AppVM, Label.RED, Map.of()));
        assertEquals(PowerState.Halted, created.state());

        admin.start("c-life");
        assertEquals(PowerState.Running, admin.get("c-life").state());
        assertEquals("c-life", runOk("c-life", "hostname").strip());

        admin.shutdown("c-life", false, true, QUBE_TIMEOUT);
        assertEquals(PowerState.Halted, admin.get("c-life").state());
        admin.remove("c-life");
        assertFalse("c-life is still listed", admin.find("c-life").isPresent());
        assertEquals("paths of c-life under " + dataDir() + " after removal", List.of(), dataPathsOf("c-life"));
    }

    @Test
    public void aCommandGetsItsStdinAndGivesBackItsOutputAndExitStatus() throws Exception {
        shared();
        byte[] stdin = "through stdin\nand a second line\n".getBytes(StandardCharsets.UTF_8);
        ExecResult cat = admin().run(SHARED, List.of("cat"), stdin, RUN_TIMEOUT);
        assertEquals(0, cat.exitStatus());
        assertEquals("through stdin\nand a second line\n", cat.stdoutText());

        ExecResult failing = admin().run(SHARED, List.of("sh", "-c", "read line; echo \"got $line\"; echo complaint >&2; exit 7"),
                "one\n".getBytes(StandardCharsets.UTF_8), RUN_TIMEOUT);
        assertEquals(7, failing.exitStatus());
        assertEquals("got one\n", failing.stdoutText());
        assertEquals("complaint\n", failing.stderrText());
        assertEquals(SHARED + "\n", shell("qvm:run " + SHARED + " hostname"));
    }

    @Test
    public void aPausedQubeRunsNoCommandAndResumesAsItWas() throws Exception {
        shared();
        String token = UUID.randomUUID().toString();
        runOk(SHARED, "sh", "-c", "echo " + token + " > /tmp/paused-token");
        List<QubeEvent> events = new CopyOnWriteArrayList<>();
        ServiceRegistration<QubeEventListener> listening = listen(events);
        try {
            admin().pause(SHARED);
            assertEquals(PowerState.Paused, admin().get(SHARED).state());
            try {
                ExecResult r = run(SHARED, "echo", "ran");
                fail("a paused qube ran a command: " + r.exitStatus() + " " + r.stdoutText());
            } catch (AdminException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("Paused"));
            }
            admin().unpause(SHARED);
            assertEquals(PowerState.Running, admin().get(SHARED).state());
            assertEquals("the same qube, not a new one", token, runOk(SHARED, "cat", "/tmp/paused-token").strip());
            awaitTrue("domain-paused then domain-unpaused", QUBE_TIMEOUT, () -> typesOf(events, SHARED)
                    .equals(List.of(QubeEvent.DOMAIN_PAUSED, QubeEvent.DOMAIN_UNPAUSED)), events::toString);
        } finally {
            listening.unregister();
        }
    }

    /** The core and the backend's bundle stop and start again; the running qube is found running and is the same. */
    @Test
    public void aRunningQubeIsTakenBackAfterThePlatformRestarts() throws Exception {
        shared();
        String token = UUID.randomUUID().toString();
        runOk(SHARED, "sh", "-c", "echo " + token + " > /tmp/readopted-token");
        String initStart = initStartTime(SHARED);
        long process = domainProcess(SHARED);

        restartBundles(CORE, backendBundle());

        awaitLiteBackend();
        assertEquals(SHARED + " after the restart", PowerState.Running, admin().get(SHARED).state());
        assertEquals("/tmp: the qube was not restarted", token, runOk(SHARED, "cat", "/tmp/readopted-token").strip());
        assertEquals("start time of pid 1 inside " + SHARED, initStart, initStartTime(SHARED));
        assertEquals("the domain's host process", process, domainProcess(SHARED));
    }

    /** kill -9 of the domain's host process: the platform sees the qube halted, says it stopped by itself, starts it again. */
    @Test
    public void aDomainKilledOnTheHostIsSeenAsACrash() throws Exception {
        admin().create(new QubeSpec("c-crash", QubeClass.AppVM, Label.ORANGE, Map.of()));
        admin().start("c-crash");
        List<QubeEvent> events = new CopyOnWriteArrayList<>();
        ServiceRegistration<QubeEventListener> listening = listen(events);
        try {
            host("kill", "-KILL", Long.toString(domainProcess("c-crash")));
            awaitTrue("c-crash to be seen halted", QUBE_TIMEOUT, () -> admin().get("c-crash").state() == PowerState.Halted,
                    () -> "state is " + admin().get("c-crash").state());
            awaitTrue("domain-shutdown saying it stopped by itself", QUBE_TIMEOUT, () -> events.stream()
                    .anyMatch(e -> e.qube().equals("c-crash") && e.type().equals(QubeEvent.DOMAIN_SHUTDOWN)
                            && "stopped by itself".equals(e.data().get("reason"))), events::toString);
        } finally {
            listening.unregister();
        }
        admin().start("c-crash");
        assertEquals("c-crash", runOk("c-crash", "hostname").strip());
    }

    // ---- networking ----------------------------------------------------------------------------

    /**
     * A client and its netvm, linked: the client's default route is its netvm, and a TCP stream goes each way between
     * them. (TCP rather than ping: a qube's commands run as its user, and busybox's ping needs a raw socket.)
     */
    @Test
    public void aClientAndItsNetvmAreLinkedAndCarryTraffic() {
        admin().create(new QubeSpec("c-net", QubeClass.AppVM, Label.RED, Map.of("provides_network", "True")));
        admin().create(new QubeSpec("c-client", QubeClass.AppVM, Label.BLUE, Map.of("netvm", "c-net")));
        admin().start("c-client");
        assertEquals("its netvm started first", PowerState.Running, admin().get("c-net").state());
        String route = runOk("c-client", "ip", "route", "show", "default");
        assertTrue(route, route.contains("dev eth0"));
        String gateway = route.split(" ")[2];
        assertTrue("the gateway is c-net's own address", runOk("c-net", "ip", "-o", "address", "show").contains(gateway + "/32"));

        String token = UUID.randomUUID().toString();
        runOk("c-net", "sh", "-c", "nc -l -p 7070 > /tmp/received 2>&1 < /dev/null &");
        awaitTrue("the client's TCP stream to arrive in its netvm", QUBE_TIMEOUT, () -> {
            run("c-client", "sh", "-c", "echo " + token + " | timeout 5 nc " + gateway + " 7070");
            return runOk("c-net", "cat", "/tmp/received").strip().equals(token);
        }, () -> "c-net received '" + runOk("c-net", "cat", "/tmp/received") + "'");

        String client = runOk("c-client", "ip", "-4", "-o", "address", "show", "eth0").split("\\s+")[3].split("/")[0];
        runOk("c-client", "sh", "-c", "nc -l -p 7071 > /tmp/received 2>&1 < /dev/null &");
        awaitTrue("the netvm's TCP stream to arrive in its client", QUBE_TIMEOUT, () -> {
            run("c-net", "sh", "-c", "echo " + token + " | timeout 5 nc " + client + " 7071");
            return runOk("c-client", "cat", "/tmp/received").strip().equals(token);
        }, () -> "c-client received '" + runOk("c-client", "cat", "/tmp/received") + "'");
    }

    /**
     * work → sys-firewall → sys-net → a test outside, the roles unchanged: a rule on work drops one TCP port at
     * sys-firewall and lets the rest pass, as counted where the packets arrive outside.
     */
    @Test
    public void aFirewallRuleIsEnforcedEndToEnd() throws Exception {
        buildUpstream();
        outside.startStreamServer();
        HostCommand.Result counters = HostCommand.runWithInput("""
                table inet contract {
                  counter web_http {}
                  counter web_stream {}
                  chain prerouting {
                    type filter hook prerouting priority -300; policy accept;
                    iifname "%1$s" ip daddr %2$s tcp dport 80 counter name web_http
                    iifname "%1$s" ip daddr %2$s tcp dport %3$d counter name web_stream
                  }
                }
                """.formatted(OutsideNetwork.UPLINK, OutsideNetwork.WEB, STREAM), "ip", "netns", "exec", outside.netns, "nft", "-f", "-");
        assertEquals(counters.stderr(), 0, counters.exitStatus());
        admin().create(new QubeSpec("work", QubeClass.AppVM, Label.BLUE, Map.of("netvm", "sys-firewall")));
        startChain("work");
        assertEquals("tick", connect(STREAM, "").stdoutText().strip());

        admin().setFirewallRules("work", List.of(FirewallRule.parse("action=drop proto=tcp dstports=" + STREAM, Instant.now()),
                FirewallRule.parse("action=accept", Instant.now())));
        assertEquals(List.of(), admin().firewallProblems("work"));
        long streamBefore = packetsTo("web_stream");
        long httpBefore = packetsTo("web_http");
        ExecResult dropped = connect(STREAM, "");
        assertNotEquals("the dropped port answered: " + dropped.stdoutText(), "tick", dropped.stdoutText().strip());
        ExecResult page = connect(80, "GET / HTTP/1.0\\r\\n\\r\\n");
        assertTrue("work fetching the outside's page: " + page.stdoutText() + page.stderrText(), page.stdoutText().startsWith("HTTP/1."));
        assertEquals("packets to the dropped port reached the outside", streamBefore, packetsTo("web_stream"));
        assertTrue("the accepted port's packets reach the outside", packetsTo("web_http") > httpBefore);
    }

    // ---- volumes and disposables ---------------------------------------------------------------

    /** The private volume keeps what the qube wrote across a stop; revert is done where claimed, refused where not. */
    @Test
    public void thePrivateVolumeKeepsItsDataAndIsRevertedOrRefusedAsTheBackendClaims() throws Exception {
        shell("qvm:create --label green c-vol");
        shell("qvm:volume config c-vol:private revisions_to_keep 1");
        runOk("c-vol", "sh", "-c", "echo before > /rw/note");
        admin().shutdown("c-vol", false, true, QUBE_TIMEOUT);
        assertEquals("what the qube wrote before it stopped", "before\n", runOk("c-vol", "cat", "/rw/note"));
        runOk("c-vol", "sh", "-c", "echo after > /rw/note");
        admin().shutdown("c-vol", false, true, QUBE_TIMEOUT);

        Outcome revert = shellOutcome("qvm:volume revert c-vol:private");
        if (abilities.contains(Ability.VOLUME_REVISIONS)) {
            assertFalse("revert refused: " + revert.err(), revert.refused());
            assertEquals("the private volume as it was before the last start", "before\n", runOk("c-vol", "cat", "/rw/note"));
        } else {
            assertTrue("revert on the " + backend + " backend, which claims no revisions, was done: " + revert, revert.refused());
            assertTrue("the refusal says why: " + revert.err(), revert.err().contains("cannot revert c-vol:private")
                    && revert.err().contains("backend " + backend));
            assertEquals("the volume is as the qube left it", "after\n", runOk("c-vol", "cat", "/rw/note"));
        }
    }

    /** A disposable from a DispVM template sees the template's private data, runs the command, and is gone after. */
    @Test
    public void aDisposableRunsItsCommandAndIsGoneAfter() throws Exception {
        shell("qvm:create --label orange --property template_for_dispvms=True c-dvm");
        runOk("c-dvm", "sh", "-c", "echo from the template > /rw/data");
        admin().shutdown("c-dvm", false, true, QUBE_TIMEOUT);

        ExecResult r = admin().runDisposable("c-dvm", List.of("sh", "-c", "hostname; cat /rw/data; echo scratch > /rw/scratch"),
                new byte[0], RUN_TIMEOUT);

        assertEquals(r.stderrText(), 0, r.exitStatus());
        String[] lines = r.stdoutText().split("\n");
        assertTrue(r.stdoutText(), lines.length == 2 && lines[0].matches("disp[0-9]{1,4}"));
        assertEquals("from the template", lines[1]);
        assertFalse("the disposable is gone", admin().find(lines[0]).isPresent());
        assertEquals(List.of(), admin().list().stream().filter(q -> q.klass() == QubeClass.DispVM).map(Qube::name).toList());
        assertEquals("no path of the disposable is left", List.of(), dataPathsOf(lines[0]));
        assertEquals("the template's private volume is as it was", 1, run("c-dvm", "test", "-e", "/rw/scratch").exitStatus());
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** The qube the non-destructive cases share: made and started at the first use in this class. */
    private void shared() {
        if (admin().find(SHARED).isEmpty()) {
            admin().create(new QubeSpec(SHARED, QubeClass.AppVM, Label.PURPLE, Map.of()));
        }
        if (admin().get(SHARED).state() != PowerState.Running) {
            admin().start(SHARED);
        }
    }

    private ServiceRegistration<QubeEventListener> listen(List<QubeEvent> into) {
        return context.registerService(QubeEventListener.class, into::add, null);
    }

    private static List<String> typesOf(List<QubeEvent> events, String qube) {
        return events.stream().filter(e -> qube.equals(e.qube())).map(QubeEvent::type)
                .filter(t -> t.equals(QubeEvent.DOMAIN_PAUSED) || t.equals(QubeEvent.DOMAIN_UNPAUSED)).toList();
    }

    /** Packets that arrived at the outside from sys-net's uplink for the web server, by counter. */
    private long packetsTo(String counter) {
        String listed = host("ip", "netns", "exec", outside.netns, "nft", "list", "counter", "inet", "contract", counter);
        Matcher m = PACKETS.matcher(listed);
        assertTrue(listed, m.find());
        return Long.parseLong(m.group(1));
    }

    /** Connects from work to the web server's port and returns the first line it answers, or the failure. */
    private ExecResult connect(int port, String request) {
        return run("work", "sh", "-c", "printf '" + request + "' | timeout 5 nc " + OutsideNetwork.WEB + " " + port + " | head -n 1");
    }

    /**
     * What a case made goes after it; the shared qube stays while cases of this class remain, and goes with the last.
     */
    @After
    @Override
    public void removeQubes() {
        if (remaining < 0) {
            remaining = (int) Arrays.stream(getClass().getMethods()).filter(m -> m.isAnnotationPresent(Test.class)).count();
        }
        if (!counted) {
            counted = true;
            remaining--;
        }
        if (remaining <= 0 || admin().find(SHARED).isEmpty()) {
            super.removeQubes();
            return;
        }
        removeAllBut(Set.of(SHARED));
    }

    private void removeAllBut(Set<String> kept) {
        QubeAdmin admin = admin();
        List<String> problems = new ArrayList<>();
        Set<String> made = new HashSet<>();
        for (Qube q : admin.list()) {
            if (q.qid() != 0 && !q.name().equals(FIRST_TEMPLATE) && !kept.contains(q.name())) {
                made.add(q.name());
                if (q.state().isActive()) {
                    try {
                        admin.kill(q.name());
                    } catch (AdminException e) {
                        problems.add("kill " + q.name() + ": " + e.getMessage());
                    }
                }
            }
        }
        for (int round = 0; round < 4 && !made.isEmpty(); round++) {
            for (String name : List.copyOf(made)) {
                try {
                    admin.remove(name);
                    made.remove(name);
                } catch (AdminException e) {
                    if (round == 3) {
                        problems.add("remove " + name + ": " + e.getMessage());
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            fail("cleaning up after the case failed: " + problems);
        }
    }
}
