package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.Test;

import dev.bulkhead.api.ExecResult;

/**
 * The file services' programs in a real lite qube of the small busybox template: present and
 * executable where Qubes has them, the user's commands print their usage, and the service files
 * run the static programs there (qubes.Filecopy unpacks what the qube's own qfile-agent sends
 * through FIFOs, within the limits of the qube's /rw/config/bulkhead/filecopy.conf; qubes.OpenInVM
 * opens a file with the qube's opener and sends the change back).
 * Calls between qubes go through dom0's qrexec (qrexec-client-vm), tested where that is built.
 */
public class QubeToolsIT extends BulkheadTestSupport {
    private static final List<String> PROGRAMS = List.of("/usr/bin/qvm-copy", "/usr/bin/qvm-copy-to-vm", "/usr/bin/qvm-move",
            "/usr/bin/qvm-move-to-vm", "/usr/bin/qvm-open-in-dvm", "/usr/bin/qvm-open-in-vm", "/usr/lib/qubes/qfile-agent",
            "/usr/lib/qubes/qfile-unpacker", "/usr/lib/qubes/qopen-in-vm", "/usr/lib/qubes/vm-file-editor",
            "/usr/lib/qubes/qvm-copy-common", "/etc/qubes-rpc/qubes.Filecopy", "/etc/qubes-rpc/qubes.OpenInVM");

    @Test
    public void theFileServicesAreInTheBaseTemplateAndRunThere() throws Exception {
        shell("qvm:template install " + TemplatesIT.defaultTemplate());
        shell("qvm:create --label blue --template " + TemplatesIT.BASE + " work");

        List<String> check = new ArrayList<>(List.of("sh", "-c", "for f in \"$@\"; do if test -f \"$f\" && test -x \"$f\"; then echo \"$f\"; fi; done",
                "sh"));
        check.addAll(PROGRAMS);
        String executable = runOk("work", check.toArray(String[]::new)).strip();
        assertEquals(String.join("\n", PROGRAMS), executable);

        Outcome usage = shellOutcome("qvm:run work qvm-copy-to-vm");
        assertTrue(usage.out() + usage.err(), (usage.out() + usage.err()).contains("usage: qvm-copy-to-vm TARGET FILE..."));
        ExecResult direct = run("work", "qvm-copy-to-vm");
        assertEquals(2, direct.exitStatus());

        String copied = runOk("work", "sh", "-c", String.join("\n",
                "set -e",
                "mkdir -p /tmp/src/tree/sub /tmp/home && cd /tmp/src",
                "echo 'from work' > tree/sub/a && head -c 1048576 /dev/urandom > tree/big && : > tree/empty",
                "mkfifo /tmp/to /tmp/from",
                "HOME=/tmp/home QREXEC_REMOTE_DOMAIN=personal /etc/qubes-rpc/qubes.Filecopy < /tmp/to > /tmp/from &",
                "/usr/lib/qubes/qfile-agent tree > /tmp/to < /tmp/from",
                "wait $!",
                "cd /tmp/src/tree && find . -type f | sort | xargs sha256sum > /tmp/sent",
                "cd /tmp/home/QubesIncoming/personal/tree && find . -type f | sort | xargs sha256sum > /tmp/received",
                "cmp /tmp/sent /tmp/received && wc -l < /tmp/received"));
        assertEquals("3", copied.strip());

        ExecResult limited = run("work", "sh", "-c", String.join("\n",
                "mkdir -p /rw/config/bulkhead && echo max_files=2 > /rw/config/bulkhead/filecopy.conf",
                "cd /tmp/src && rm -f /tmp/to /tmp/from && mkfifo /tmp/to /tmp/from",
                "HOME=/tmp/home QREXEC_REMOTE_DOMAIN=vault /etc/qubes-rpc/qubes.Filecopy < /tmp/to > /tmp/from &",
                "/usr/lib/qubes/qfile-agent tree > /tmp/to < /tmp/from; echo \"agent $?\"",
                "wait $!; echo \"unpacker $?\"",
                "rm /rw/config/bulkhead/filecopy.conf",
                "ls -A /tmp/home/QubesIncoming/vault"));
        assertEquals(limited.stderrText(), "agent 1\nunpacker 1\n", limited.stdoutText());
        assertTrue(limited.stderrText(), limited.stderrText().contains("the receiving qube refused the copy: more than 2 files"));

        String opened = runOk("work", "sh", "-c", String.join("\n",
                "set -e",
                "printf '#!/bin/sh\\nsha256sum \"$1\" > /tmp/opened\\necho edited >> \"$1\"\\n' > /tmp/opener && chmod +x /tmp/opener",
                "echo original > /tmp/doc.txt",
                "rm -f /tmp/to /tmp/from && mkfifo /tmp/to /tmp/from",
                "BULKHEAD_OPENER=/tmp/opener QREXEC_REMOTE_DOMAIN=personal /etc/qubes-rpc/qubes.OpenInVM < /tmp/to > /tmp/from &",
                "/usr/lib/qubes/qopen-in-vm /tmp/doc.txt > /tmp/to < /tmp/from",
                "wait $!",
                "cat /tmp/doc.txt"));
        assertEquals("original\nedited\n", opened);
    }
}
