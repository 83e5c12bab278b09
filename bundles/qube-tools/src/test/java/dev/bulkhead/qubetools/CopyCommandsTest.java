package dev.bulkhead.qubetools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The user's commands (qvm-copy-to-vm, qvm-copy, qvm-move-to-vm, qvm-move, qvm-open-in-dvm,
 * qvm-open-in-vm): their usage, the target and service they ask qrexec-client-vm for, and that a
 * move removes the originals only once the receiver confirmed. qrexec-client-vm is dom0's part;
 * here a stand-in on PATH joins the local program to the real qfile-unpacker by FIFOs, as
 * qrexec-client-vm joins it to the service, and logs the target and service it was asked for.
 */
class CopyCommandsTest {
    private Sandbox box;
    private Path bin;
    private Path log;

    @BeforeEach
    void setUp() throws Exception {
        box = new Sandbox();
        bin = Files.createDirectory(box.root.resolve("bin"));
        log = box.root.resolve("calls.log");
        Path standIn = bin.resolve("qrexec-client-vm");
        Files.writeString(standIn, """
                #!/bin/sh
                echo "$1 $2" >> "$CALL_LOG"
                shift 2
                d=$(mktemp -d)
                mkfifo "$d/to" "$d/from"
                "$UNPACKER" < "$d/to" > "$d/from" &
                "$@" > "$d/to" < "$d/from"
                status=$?
                wait
                rm -rf "$d"
                exit $status
                """);
        Files.setPosixFilePermissions(standIn, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void tearDown() throws Exception {
        box.close();
    }

    private QubeTools.Run command(String name, String... args) throws Exception {
        Map<String, String> env = box.env("PATH", bin + ":/usr/bin:/bin", "CALL_LOG", log.toString(),
                "UNPACKER", QubeTools.program("usr/lib/qubes/qfile-unpacker").toString());
        Path sender = Files.createDirectories(box.root.resolve("sender"));
        java.util.List<String> argv = new java.util.ArrayList<>(java.util.List.of("sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh",
                sender.toString(), QubeTools.program("usr/bin/" + name).toString()));
        argv.addAll(java.util.List.of(args));
        return QubeTools.run(box.scratch, new byte[0], env, argv.toArray(String[]::new));
    }

    @ParameterizedTest
    @CsvSource({"qvm-copy-to-vm, TARGET FILE...", "qvm-move-to-vm, TARGET FILE...", "qvm-copy, FILE...", "qvm-move, FILE...",
        "qvm-open-in-dvm, FILE", "qvm-open-in-vm, TARGET FILE"})
    void withoutArgumentsEachPrintsItsUsage(String name, String synopsis) throws Exception {
        QubeTools.Run run = command(name);
        assertEquals(2, run.exit());
        assertTrue(run.stderr().startsWith("usage: " + name + " " + synopsis + "\n"), run.stderr());
        assertFalse(Files.exists(log), "nothing was called");
    }

    @Test
    void aMoveRemovesTheOriginalsOnlyOnceTheReceiverConfirmed() throws Exception {
        Path sender = Files.createDirectories(box.root.resolve("sender"));
        Files.createDirectories(sender.resolve("dir/sub"));
        Files.writeString(sender.resolve("dir/sub/a"), "a\n");
        Files.writeString(sender.resolve("b"), "b\n");

        QubeTools.Run run = command("qvm-move-to-vm", "personal", "dir", "b");

        assertEquals(0, run.exit(), run.toString());
        assertEquals("personal qubes.Filecopy\n", Files.readString(log));
        assertEquals("a\n", Files.readString(box.incoming.resolve("dir/sub/a")));
        assertEquals("b\n", Files.readString(box.incoming.resolve("b")));
        assertFalse(Files.exists(sender.resolve("dir")));
        assertFalse(Files.exists(sender.resolve("b")));
    }

    @Test
    void aRefusedMoveKeepsTheOriginals() throws Exception {
        Path sender = Files.createDirectories(box.root.resolve("sender"));
        Files.writeString(sender.resolve("a"), "a\n");
        Files.writeString(sender.resolve("b"), "b\n");
        Files.createDirectories(box.incoming.getParent());
        Files.createSymbolicLink(box.incoming, box.outside);

        QubeTools.Run run = command("qvm-move", "a", "b");

        assertEquals(1, run.exit(), run.toString());
        assertEquals("@default qubes.Filecopy\n", Files.readString(log));
        assertTrue(run.stderr().contains("qvm-move: nothing was copied to @default"), run.stderr());
        assertTrue(Files.exists(sender.resolve("a")) && Files.exists(sender.resolve("b")), "the originals stay");
    }

    @Test
    void aCopyOfAMissingFileCallsNothing() throws Exception {
        QubeTools.Run run = command("qvm-copy", "no-such-file");
        assertEquals(1, run.exit());
        assertTrue(run.stderr().contains("qvm-copy: no-such-file: no such file or directory"), run.stderr());
        assertFalse(Files.exists(log));
    }

    @Test
    void aCopyKeepsTheOriginals() throws Exception {
        Path sender = Files.createDirectories(box.root.resolve("sender"));
        Files.writeString(sender.resolve("a"), "a\n");
        QubeTools.Run run = command("qvm-copy-to-vm", "personal", "a");
        assertEquals(0, run.exit(), run.toString());
        assertEquals("a\n", Files.readString(sender.resolve("a")));
        assertEquals("a\n", Files.readString(box.incoming.resolve("a")));
    }
}
