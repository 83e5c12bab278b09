package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Test;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.hypervisor.HypervisorBackend;

/**
 * Services in a qemu qube, which only its qrexec agent can start: a lite qube of bulkhead-base, work, calls a qube
 * booted by QEMU (TCG) from the guest image, personal, under a real policy. {@code qrexec-client-vm} reaches
 * qubes.VMShell there (the caller's name, the target's, the user it runs as and the exit status come back),
 * {@code qvm-copy-to-vm} copies a file whose SHA-256 arrives intact in personal's ~/QubesIncoming/work, and a call the
 * policy denies is refused as any other.
 */
public class QrexecAgentIT extends BulkheadTestSupport {
    private static final Duration LONG_RUN = Duration.ofMinutes(4);
    private static final String POLICY = String.join("\n",
            "qubes.VMShell * work personal allow",
            "qubes.Filecopy * work personal allow",
            "* * @anyvm @anyvm deny", "");

    @Inject
    private ConfigurationAdmin configAdmin;

    @Override
    protected List<String> bundles() {
        List<String> bundles = new ArrayList<>(QemuBackendIT.withQemu(BUNDLES));
        bundles.add("dev.bulkhead.policy");
        bundles.add("dev.bulkhead.qrexec");
        return bundles;
    }

    /** personal goes while the core runs it on qemu; then the core is back on lite, which removes work and the rest. */
    @After
    @Override
    public void removeQubes() {
        try {
            if ("qemu".equals(admin().backendName()) && admin().find("personal").isPresent()) {
                admin().kill("personal");
            }
        } finally {
            QemuBackendIT.setCoreBackend(configAdmin, "auto");
            awaitLiteBackend();
            super.removeQubes();
        }
    }

    @Test
    public void aLiteQubeCallsServicesInAQemuQubeThroughItsAgent() throws Exception {
        awaitService("(&(osgi.command.scope=qvm)(osgi.command.function=call))");
        shell("qvm:template install " + TemplatesIT.defaultTemplate());
        shell("qvm:create --label red --template " + TemplatesIT.BASE + " work");
        Path dir = etcDir().resolve("policy.d");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("30-test.policy"), POLICY);
        shell("qvm:policy reload");
        admin().start("work");
        String sent = runOk("work", "sh", "-c", "head -c 3000000 /dev/urandom > /tmp/blob && sha256sum < /tmp/blob");

        QemuBackendIT.moveCoreToQemu(this, configAdmin);
        admin().create(new QubeSpec("personal", QubeClass.AppVM, Label.BLUE, Map.of("memory", "256", "vcpus", "1")));
        admin().start("personal");
        // work runs on lite still, where the core no longer looks: its commands go to the lite backend itself
        HypervisorBackend lite = (HypervisorBackend) awaitService("(" + HypervisorBackend.BACKEND_PROPERTY + "=lite)");

        ExecResult shellCall = lite.exec("work", List.of("sh", "-c", "printf 'echo \"$QREXEC_REMOTE_DOMAIN $(hostname)"
                + " $(id -un)\"\\nexit 5\\n' | qrexec-client-vm personal qubes.VMShell"), new byte[0], LONG_RUN);
        assertEquals(shellCall.stderrText(), 5, shellCall.exitStatus());
        assertEquals("the caller, the qemu qube and its default user (root: its image has no user)", "work personal root\n",
                shellCall.stdoutText());

        ExecResult copy = lite.exec("work", List.of("qvm-copy-to-vm", "personal", "/tmp/blob"), new byte[0], LONG_RUN);
        assertEquals(copy.stderrText(), 0, copy.exitStatus());
        assertEquals(sent, runOk("personal", "sh", "-c", "sha256sum < /root/QubesIncoming/work/blob"));

        ExecResult denied = lite.exec("work", List.of("sh", "-c", "qrexec-client-vm personal qubes.OpenInVM </dev/null"),
                new byte[0], LONG_RUN);
        assertEquals(denied.stderrText(), 126, denied.exitStatus());
        assertEquals("Request refused\n", denied.stderrText());
        assertTrue("the guest's init started the agent", run("personal", "sh", "-c", "ps -o args | grep '[q]rexec-agent'")
                .stdoutText().contains("/usr/lib/qubes/qrexec-agent"));
    }
}
