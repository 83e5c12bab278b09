package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.Test;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.QubeClass;

/**
 * The file services between real lite qubes of bulkhead-base, through dom0's qrexec and the policy:
 * {@code qvm-copy-to-vm} from work lands in personal's ~/QubesIncoming/work with every file's SHA-256,
 * {@code qvm-move-to-vm} removes the originals once they arrived, a denied copy leaves nothing in the
 * target and the originals in place, and {@code qvm-open-in-dvm} opens a file in a disposable (the
 * opener kept in the disposable template's /rw/config/bulkhead), writes the change back and leaves no
 * disposable behind; 100 MB copied arrive whole without growing dom0's heap.
 */
public class FilecopyIT extends BulkheadTestSupport {
    private static final Duration LONG_RUN = Duration.ofMinutes(3);
    private static final String POLICY = String.join("\n",
            // as the qube's default user, user, whose home the qube's /home starts with
            "qubes.Filecopy * work personal allow",
            "qubes.Filecopy * work vault deny",
            "qubes.OpenInVM * work @dispvm allow target=@dispvm:work-dvm",
            "* * @anyvm @anyvm deny", "");

    @Override
    protected List<String> bundles() {
        List<String> bundles = new ArrayList<>(BUNDLES);
        bundles.add("dev.bulkhead.policy");
        bundles.add("dev.bulkhead.qrexec");
        return bundles;
    }

    private void setUp() throws Exception {
        awaitService("(&(osgi.command.scope=qvm)(osgi.command.function=call))");
        shell("qvm:template install " + TemplatesIT.defaultTemplate());
        for (String qube : new String[] {"work", "personal", "vault"}) {
            shell("qvm:create --label blue --template " + TemplatesIT.BASE + " " + qube);
        }
        Path dir = etcDir().resolve("policy.d");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("30-test.policy"), POLICY);
        shell("qvm:policy reload");
    }

    private ExecResult inQube(String qube, String script) {
        return admin().run(qube, List.of("sh", "-c", script), new byte[0], LONG_RUN);
    }

    /** The home of user, whom a service runs as by default. */
    private String serviceHome(String qube) {
        String home = runOk(qube, "sh", "-c", "grep '^user:' /etc/passwd | cut -d: -f6").strip();
        assertEquals("the template's user lives in /home/user", "/home/user", home);
        return home;
    }

    private static final String SHA_LIST = "find . -type f | LC_ALL=C sort | while read -r f; do sha256sum \"$f\"; done";

    @Test
    public void aCopyArrivesWholeAMoveRemovesTheOriginalsAndADeniedCopyLeavesNothing() throws Exception {
        setUp();
        admin().start("work");
        String sent = runOk("work", "sh", "-c", String.join("\n",
                "set -e",
                "mkdir -p '/tmp/out/report 2026/a/b' '/tmp/out/report 2026/empty dir' && cd /tmp/out",
                "head -c 10485760 /dev/urandom > 'report 2026/a/big.bin'",
                ": > 'report 2026/a/b/empty'",
                "echo odd > 'report 2026/Grüße, 日本語.txt'",
                "echo moved > moved.txt",
                "cd 'report 2026' && " + SHA_LIST));

        ExecResult copy = inQube("work", "cd /tmp/out && qvm-copy-to-vm personal 'report 2026'");
        ExecResult move = inQube("work", "cd /tmp/out && qvm-move-to-vm personal moved.txt");

        assertEquals(copy.stderrText(), 0, copy.exitStatus());
        assertEquals(move.stderrText(), 0, move.exitStatus());
        String incoming = serviceHome("personal") + "/QubesIncoming/work";
        assertEquals(sent, asUser("personal", "cd '" + incoming + "/report 2026' && " + SHA_LIST));
        assertEquals("big.bin, empty and the UTF-8 name: " + sent, 3, sent.lines().count());
        asUser("personal", "test -d '" + incoming + "/report 2026/empty dir'");
        assertEquals("moved\n", asUser("personal", "cat " + incoming + "/moved.txt"));
        assertEquals("the moved file is gone, the copied tree stays", "report 2026\n", runOk("work", "ls", "/tmp/out"));

        ExecResult denied = inQube("work", "cd /tmp/out && qvm-copy-to-vm vault 'report 2026'");
        ExecResult unknown = inQube("work", "cd /tmp/out && qvm-move-to-vm nosuch 'report 2026'");

        for (ExecResult r : List.of(denied, unknown)) {
            assertEquals(r.stderrText(), 126, r.exitStatus());
            assertTrue(r.stderrText(), r.stderrText().startsWith("Request refused\n"));
        }
        assertFalse("a denied target is not started", admin().get("vault").state().isActive());
        assertEquals("nothing arrived in vault", "", runOk("vault", "sh", "-c", "ls -A " + serviceHome("vault") + " | grep QubesIncoming || true"));
        assertEquals("a refused move keeps the originals", "report 2026\n", runOk("work", "ls", "/tmp/out"));
    }

    /** qvm-copy-to-vm of 100 MB: what arrives has the SHA-256 of what was sent, and dom0's heap does not grow with it. */
    @Test
    public void aHundredMegabytesCopiedWithQvmCopyArriveWholeWithoutGrowingDom0sHeap() throws Exception {
        setUp();
        admin().start("work");
        admin().start("personal");
        String sent = runOk("work", "sh", "-c", "head -c 100000000 /dev/urandom > /tmp/big.bin && sha256sum < /tmp/big.bin");
        ExecResult warm = inQube("work", "echo warm > /tmp/warm && qvm-copy-to-vm personal /tmp/warm");
        assertEquals(warm.stderrText(), 0, warm.exitStatus());
        long before = usedHeapAfterGc();

        ExecResult copy = inQube("work", "qvm-copy-to-vm personal /tmp/big.bin");

        long after = usedHeapAfterGc();
        assertEquals(copy.stderrText(), 0, copy.exitStatus());
        String incoming = serviceHome("personal") + "/QubesIncoming/work";
        assertEquals("100000000\n", asUser("personal", "wc -c < " + incoming + "/big.bin"));
        assertEquals(sent, asUser("personal", "sha256sum < " + incoming + "/big.bin"));
        assertTrue("dom0's heap grew by " + (after - before) / 1024 / 1024 + " MB", after - before < 32L * 1024 * 1024);
    }

    @Test
    public void aFileOpenedInADisposableComesBackChangedAndNoDisposableIsLeft() throws Exception {
        setUp();
        shell("qvm:create --label orange --template " + TemplatesIT.BASE + " --property template_for_dispvms=True work-dvm");
        runOk("work-dvm", "sh", "-c", "mkdir -p /rw/config/bulkhead && printf '#!/bin/sh\\necho \"opened $(sha256sum < \"$1\" | cut -d\" \" -f1)"
                + " in $(hostname)\" >> \"$1\"\\n' > /rw/config/bulkhead/file-opener && chmod 755 /rw/config/bulkhead/file-opener");
        admin().shutdown("work-dvm", false, true, QUBE_TIMEOUT);
        admin().start("work");
        String sha = runOk("work", "sh", "-c", "echo 'an attachment' > /tmp/doc.txt && sha256sum < /tmp/doc.txt | cut -d' ' -f1").strip();

        ExecResult open = inQube("work", "qvm-open-in-dvm /tmp/doc.txt");

        assertEquals(open.stderrText(), 0, open.exitStatus());
        String doc = runOk("work", "cat", "/tmp/doc.txt");
        assertTrue(doc, doc.matches("an attachment\nopened " + sha + " in disp[0-9]+\n"));
        awaitTrue("the disposable is gone", QUBE_TIMEOUT,
                () -> admin().list().stream().noneMatch(q -> q.klass() == QubeClass.DispVM), this::describeQubes);
    }
}
