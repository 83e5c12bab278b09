package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Test;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.Prompt;

/**
 * Calls between real lite qubes of the bulkhead-base template: {@code qrexec-client-vm} in work reaches a service
 * in personal through dom0's qrexec daemon and the policy; its stdin is streamed, the service's output and exit status
 * come back; a denied call and an unknown target look the same; a halted target is started; a disposable made for a
 * call is removed when the call ends, also when its caller is killed; 100 MB pass whole without growing dom0's heap;
 * and a hostile qube's connections end without holding up another qube's calls or leaving anything behind.
 */
public class QrexecIT extends BulkheadTestSupport {
    private static final Duration LONG_RUN = Duration.ofMinutes(3);
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    /** Who a service runs as by default in the template: user when its passwd has one, else root. */
    private String defaultUser;

    @Override
    protected List<String> bundles() {
        List<String> bundles = new ArrayList<>(BUNDLES);
        bundles.add("dev.bulkhead.policy");
        bundles.add("dev.bulkhead.qrexec");
        return bundles;
    }

    @After
    public void unregister() {
        registrations.forEach(ServiceRegistration::unregister);
    }

    /** The template with the test's services in /etc/qubes-rpc, work and personal of it, and the policy. */
    private void setUp(String policy) throws Exception {
        awaitService("(&(osgi.command.scope=qvm)(osgi.command.function=call))");
        shell("qvm:template install " + TemplatesIT.defaultTemplate());
        String base = TemplatesIT.BASE;
        runOk(base, "sh", "-c", "cd /etc/qubes-rpc"
                + " && printf '#!/bin/sh\\necho \"from $QREXEC_REMOTE_DOMAIN arg=$1 full=$QREXEC_SERVICE_FULL_NAME"
                + " asked=$QREXEC_REQUESTED_TARGET user=$(id -un)\"\\ncat\\necho a-line-for-the-log >&2\\nexit 3\\n' > test.Echo"
                + " && printf '#!/bin/sh\\nexec cat\\n' > test.Cat"
                + " && printf '#!/bin/sh\\nhostname\\n' > test.Host"
                + " && printf '#!/bin/sh\\nhostname\\nexec sleep 600\\n' > test.Sleep"
                + " && printf '#!/bin/sh\\ncat /proc/$PPID/comm\\n' > test.Parent"
                + " && chmod 755 test.Echo test.Cat test.Host test.Sleep test.Parent");
        defaultUser = runOk(base, "sh", "-c", "grep -q '^user:' /etc/passwd && echo user || echo root").strip();
        admin().shutdown(base, false, true, QUBE_TIMEOUT);
        shell("qvm:create --label red --template " + base + " work");
        shell("qvm:create --label yellow --template " + base + " personal");
        Path dir = etcDir().resolve("policy.d");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("30-test.policy"), policy + "\n* * @anyvm @anyvm deny\n");
        shell("qvm:policy reload");
    }

    private ExecResult inQube(String qube, String script) {
        return admin().run(qube, List.of("sh", "-c", script), new byte[0], LONG_RUN);
    }

    @Test
    public void aCallStreamsBothWaysReturnsTheExitStatusStartsAHaltedTargetAndRefusalsLookTheSame() throws Exception {
        setUp("test.Echo * work personal allow\ntest.Cat * work personal allow\ntest.Host * dom0 personal allow\n"
                + "test.Denied * work personal deny\ntest.Parent * work personal allow");
        admin().start("work");
        assertFalse("personal is halted", admin().get("personal").state().isActive());

        ExecResult echo = inQube("work", "printf 'line1\\nline2\\n' | qrexec-client-vm personal test.Echo+xyz");

        assertEquals(echo.stderrText(), 3, echo.exitStatus());
        assertEquals("from work arg=xyz full=test.Echo+xyz asked=personal user=" + defaultUser + "\nline1\nline2\n", echo.stdoutText());
        assertEquals("the service's stderr stays in dom0's log", "", echo.stderrText());
        assertTrue("autostart started personal", admin().get("personal").state().isActive());
        assertEquals("the service runs under personal's qrexec agent (the multiplexer execs it), not runc exec",
                "qrexec-agent\n", inQube("work", "qrexec-client-vm personal test.Parent </dev/null").stdoutText());

        ExecResult local = inQube("work", "qrexec-client-vm personal test.Cat sh -c"
                + " 'echo \"to $QREXEC_REMOTE_DOMAIN\"; exec 1>&-; cat > /tmp/back'; echo status=$?; cat /tmp/back");
        assertEquals(local.stderrText(), "status=0\nto personal\n", local.stdoutText());

        ExecResult denied = inQube("work", "qrexec-client-vm personal test.Denied </dev/null");
        ExecResult unknown = inQube("work", "qrexec-client-vm nosuch test.Echo </dev/null");
        for (ExecResult r : List.of(denied, unknown)) {
            assertEquals(r.stderrText(), 126, r.exitStatus());
            assertEquals("Request refused\n", r.stderrText());
            assertEquals("", r.stdoutText());
        }
        runOk("personal", "rm", "/etc/qubes-rpc/test.Cat");
        ExecResult gone = inQube("work", "qrexec-client-vm personal test.Cat </dev/null");
        assertEquals("no such service is refused like the rest", 126, gone.exitStatus());
        assertEquals("Request refused\n", gone.stderrText());
        assertEquals("nothing is left running for the refused calls", "", runOk("personal", "sh", "-c",
                "ps -o args | grep -e qubes-rpc -e 'test\\.' | grep -v grep || true"));

        assertEquals("personal\n", shell("qvm:call personal test.Host"));
        Outcome refused = shellOutcome("qvm:call personal test.Echo");
        assertTrue(refused.err(), refused.refused() && refused.err().contains("Request refused"));
    }

    /**
     * A service of work's own, written into its /usr/local/etc/qubes-rpc (on its private volume), is still there after
     * work is shut down and started again, and personal calls it; it overrides the template's service of the same
     * name in work only.
     */
    @Test
    public void aQubesOwnServiceInUsrLocalSurvivesARestartAndOverridesItsTemplates() throws Exception {
        setUp("test.Own * personal work allow\ntest.Host * personal work allow\ntest.Host * work personal allow");
        admin().start("work");
        runOk("work", "sh", "-c", "mkdir -p /usr/local/etc/qubes-rpc && cd /usr/local/etc/qubes-rpc"
                + " && printf '#!/bin/sh\\necho \"own service of $(hostname) for $QREXEC_REMOTE_DOMAIN\"\\n' > test.Own"
                + " && printf '#!/bin/sh\\necho \"own test.Host of $(hostname)\"\\n' > test.Host"
                + " && chmod 755 test.Own test.Host");
        shell("qvm:shutdown --wait work");
        assertFalse(admin().get("work").state().isActive());
        shell("qvm:start work");
        admin().start("personal");

        ExecResult own = inQube("personal", "qrexec-client-vm work test.Own");

        assertEquals(own.stderrText(), 0, own.exitStatus());
        assertEquals("own service of work for personal\n", own.stdoutText());
        assertEquals("work's own test.Host comes before its template's", "own test.Host of work\n",
                inQube("personal", "qrexec-client-vm work test.Host").stdoutText());
        assertEquals("personal runs the template's", "personal\n", inQube("work", "qrexec-client-vm personal test.Host").stdoutText());
        assertEquals("kept on work's private volume", 0, run("work", "test", "-x", "/rw/usrlocal/etc/qubes-rpc/test.Own").exitStatus());
        assertEquals("not in the template, nor in its other qubes", 1,
                run("personal", "test", "-e", "/usr/local/etc/qubes-rpc/test.Own").exitStatus());
    }

    @Test
    public void aDisposableMadeForACallIsRemovedWhenItEndsAlsoWhenTheCallerIsKilled() throws Exception {
        setUp("test.Host * work @dispvm allow target=@dispvm:work-dvm\ntest.Sleep * work @dispvm allow target=@dispvm:work-dvm");
        shell("qvm:create --label orange --template " + TemplatesIT.BASE + " --property template_for_dispvms=True work-dvm");
        admin().start("work");

        ExecResult host = inQube("work", "qrexec-client-vm @dispvm test.Host");

        assertEquals(host.stderrText(), 0, host.exitStatus());
        assertTrue(host.stdoutText(), host.stdoutText().matches("disp[0-9]+\n"));
        awaitTrue("the disposable is gone", QUBE_TIMEOUT, () -> disposables().isEmpty(), this::describeQubes);

        String pid = runOk("work", "sh", "-c", "qrexec-client-vm @dispvm test.Sleep </dev/null >/tmp/sleep.out 2>&1 & echo $!").strip();
        awaitTrue("the service runs in a disposable", QUBE_TIMEOUT, () -> run("work", "cat", "/tmp/sleep.out").stdoutText()
                .startsWith("disp"), this::describeQubes);
        assertEquals(1, disposables().size());
        runOk("work", "kill", "-9", pid);
        awaitTrue("the disposable of the killed caller is gone", QUBE_TIMEOUT, () -> disposables().isEmpty(), this::describeQubes);
    }

    /**
     * ask through the policy bundle's own prompts, answered as the console and the shell answer them: allowed to the
     * target chosen, denied, and unanswered until the daemon's ask timeout, each seen by the caller.
     */
    @Test
    public void askIsAnsweredAllowedOrDeniedThroughThePromptsAndDeniedWhenItTimesOut() throws Exception {
        setUp("test.Host * work @anyvm ask");
        admin().start("work");
        admin().start("personal");
        PolicyPrompts prompts = service(PolicyPrompts.class, null);

        CompletableFuture<ExecResult> allowed = CompletableFuture.supplyAsync(() -> inQube("work", "qrexec-client-vm @default test.Host"));
        Prompt first = awaitPrompt(prompts);
        assertEquals("work", first.source());
        assertTrue(first.targets().toString(), first.targets().contains("personal"));
        prompts.answer(first.id(), true, "personal", "test");
        assertEquals("the call went to the target chosen", "personal\n", allowed.get(LONG_RUN.toSeconds(), TimeUnit.SECONDS).stdoutText());

        CompletableFuture<ExecResult> denied = CompletableFuture.supplyAsync(() -> inQube("work", "qrexec-client-vm personal test.Host"));
        prompts.answer(awaitPrompt(prompts).id(), false, null, "test");
        ExecResult refused = denied.get(LONG_RUN.toSeconds(), TimeUnit.SECONDS);
        assertEquals(126, refused.exitStatus());
        assertEquals("Request refused\n", refused.stderrText());

        // held while used: Configuration Admin is a service factory, whose object ends when the last user lets it go
        awaitService("(objectClass=" + ConfigurationAdmin.class.getName() + ")");
        Configuration qrexec = context.getService(context.getServiceReference(ConfigurationAdmin.class)).getConfiguration("dev.bulkhead.qrexec", "?");
        qrexec.update(new Hashtable<>(Map.of("askTimeoutSeconds", 2)));
        try {
            awaitTrue("the short ask timeout in force", QUBE_TIMEOUT, () -> {
                ExecResult unanswered = inQube("work", "qrexec-client-vm personal test.Host");
                return unanswered.exitStatus() == 126 && unanswered.stderrText().equals("Request refused\n");
            }, () -> prompts.pending().toString());
            assertEquals("the prompt ended with its call", List.of(), prompts.pending());
        } finally {
            qrexec.delete();
        }
    }

    private Prompt awaitPrompt(PolicyPrompts prompts) {
        awaitTrue("a prompt of work waits", QUBE_TIMEOUT, () -> prompts.pending().size() == 1, () -> prompts.pending().toString());
        return prompts.pending().get(0);
    }

    @Test
    public void aHundredMegabytesPassWholeBothWaysWithoutGrowingDom0sHeap() throws Exception {
        setUp("test.Cat * work personal allow");
        admin().start("work");
        admin().start("personal");
        runOk("work", "sh", "-c", "head -c 100000000 /dev/urandom > /tmp/big");
        inQube("work", "echo warm | qrexec-client-vm personal test.Cat");
        long before = usedHeapAfterGc();

        ExecResult copied = inQube("work", "qrexec-client-vm personal test.Cat < /tmp/big | sha256sum; sha256sum < /tmp/big");

        long after = usedHeapAfterGc();
        List<String> sums = copied.stdoutText().lines().toList();
        assertEquals(copied.stderrText(), 2, sums.size());
        assertEquals("what came back is what went", sums.get(1), sums.get(0));
        assertTrue("dom0's heap grew by " + (after - before) / 1024 / 1024 + " MB", after - before < 32L * 1024 * 1024);
    }

    @Test
    public void aHostileCallerEndsOnlyItsOwnConnectionsAndLeavesNothing() throws Exception {
        setUp("test.Host * vault personal allow\ntest.Host * work personal allow");
        shell("qvm:create --label green --template " + TemplatesIT.BASE + " vault");
        admin().start("work");
        admin().start("vault");
        admin().start("personal");
        assertEquals("personal\n", inQube("vault", "qrexec-client-vm personal test.Host").stdoutText());
        int threadsBefore = Thread.activeCount();
        Path socket = Path.of("/run/bulkhead", netnsOfRunning("work"), "qrexec");

        List<SocketChannel> hostile = new ArrayList<>();
        try {
            SocketChannel oversized = connect(socket);
            oversized.write(ByteBuffer.wrap(new byte[] { 1, (byte) 0xFF, (byte) 0xFF }));
            oversized.write(ByteBuffer.wrap(new byte[65535]));
            assertEquals("an oversized request ends the connection unanswered", 0, answerBeforeClose(oversized));
            SocketChannel garbage = connect(socket);
            garbage.write(ByteBuffer.wrap("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
            assertEquals("garbage ends the connection unanswered", 0, answerBeforeClose(garbage));
            SocketChannel endless = connect(socket);
            endless.write(ByteBuffer.wrap(new byte[] { 1, 0 }));
            assertEquals("a request that never ends is cut at the header timeout", 0, answerBeforeClose(endless));
            for (int i = 0; i < 200; i++) {
                SocketChannel c = connect(socket);
                c.write(ByteBuffer.wrap(new byte[] { 1, 0, 10 }));
                hostile.add(c);
            }
            assertEquals("vault's calls go on meanwhile", "personal\n", inQube("vault", "qrexec-client-vm personal test.Host").stdoutText());
        } finally {
            for (SocketChannel c : hostile) {
                c.close();
            }
        }
        ExecResult endlessAfterExit = inQube("work", "cat /dev/zero | qrexec-client-vm personal test.Host+x; echo status=$?");
        assertEquals("a caller whose stream never ends gets the service's end", "personal\nstatus=0\n", endlessAfterExit.stdoutText());
        awaitTrue("no thread of the hostile calls is left", QUBE_TIMEOUT, () -> Thread.activeCount() <= threadsBefore + 2,
                () -> Thread.activeCount() + " threads, " + threadsBefore + " before");
        awaitTrue("no service process is left in personal", QUBE_TIMEOUT, () -> run("personal", "sh", "-c",
                "ps -o args | grep -e qubes-rpc -e 'cat$' | grep -v grep").stdoutText().isEmpty(), () -> run("personal", "ps").stdoutText());
        awaitTrue("no runc exec of a call is left on the host", QUBE_TIMEOUT, () -> ProcessHandle.current().descendants()
                .noneMatch(p -> p.info().commandLine().orElse("").contains("qubes-rpc-multiplexer")), () -> "runc exec left");
        assertEquals("vault's calls still go", "personal\n", inQube("vault", "qrexec-client-vm personal test.Host").stdoutText());
    }

    private List<String> disposables() {
        return admin().list().stream().filter(q -> q.klass() == QubeClass.DispVM).map(q -> q.name()).toList();
    }

    private static SocketChannel connect(Path socket) throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(socket));
    }

    /** Reads until dom0 closes the connection; how many bytes it sent before. */
    private static int answerBeforeClose(SocketChannel c) throws IOException {
        try (c) {
            ByteBuffer b = ByteBuffer.allocate(1024);
            int total = 0;
            for (int n; (n = c.read(b)) >= 0; b.clear()) {
                total += n;
            }
            return total;
        }
    }
}
