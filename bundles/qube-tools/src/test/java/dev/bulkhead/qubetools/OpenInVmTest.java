package dev.bulkhead.qubetools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * qubes.OpenInVM: vm-file-editor (the service) opens what it receives with the qube's opener and
 * sends back a change; qopen-in-vm (the caller) writes back only a complete, bounded answer. The
 * opener here is a script that logs the SHA-256 of the file it was given and appends a line to it.
 */
class OpenInVmTest {
    private Path dir;
    private Path tmp;
    private Path log;
    private Path opener;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("bulkhead-openinvm-");
        tmp = Files.createDirectory(dir.resolve("tmp"));
        log = dir.resolve("opener.log");
        opener = dir.resolve("opener");
        Files.writeString(opener, "#!/bin/sh\nsha256sum \"$1\" | cut -d' ' -f1 >> " + log + "\necho 'seen by the opener' >> \"$1\"\n");
        Files.setPosixFilePermissions(opener, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void tearDown() throws Exception {
        QubeTools.deleteTree(dir);
    }

    private Map<String, String> serviceEnv(String... more) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("BULKHEAD_OPENER", opener.toString(), "TMPDIR", tmp.toString(),
                "QREXEC_REMOTE_DOMAIN", "work"));
        for (int i = 0; i < more.length; i += 2) {
            env.put(more[i], more[i + 1]);
        }
        return env;
    }

    private static byte[] request(byte[] name, long size, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + name.length + 8 + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return b.putInt(name.length).put(name).putLong(size).put(data).array();
    }

    private QubeTools.Run editor(byte[] request, String... env) throws Exception {
        return QubeTools.run(Files.createDirectories(dir.resolve("scratch")), request, serviceEnv(env),
                QubeTools.program("usr/lib/qubes/vm-file-editor").toString());
    }

    @Test
    void theFileIsOpenedAndItsChangeComesBackOverTheOriginal() throws Exception {
        Path caller = Files.createDirectory(dir.resolve("caller"));
        Path doc = Files.writeString(caller.resolve("report draft.txt"), "hello\n");
        Files.setPosixFilePermissions(doc, PosixFilePermissions.fromString("rw-r-----"));

        QubeTools.Run[] runs = QubeTools.connect(List.of(QubeTools.program("usr/lib/qubes/qopen-in-vm").toString(), doc.toString()),
                Map.of(), caller, List.of(QubeTools.program("usr/lib/qubes/vm-file-editor").toString()), serviceEnv());

        assertEquals(0, runs[0].exit(), "caller: " + runs[0]);
        assertEquals(0, runs[1].exit(), "service: " + runs[1]);
        assertEquals(QubeTools.sha256("hello\n".getBytes(StandardCharsets.UTF_8)) + "\n", Files.readString(log), "the opener saw the file");
        assertEquals("hello\nseen by the opener\n", Files.readString(doc));
        assertEquals("640", QubeTools.mode(doc));
        assertEquals(List.of("report draft.txt"), Files.list(caller).map(p -> p.getFileName().toString()).toList(), "no temporary file left");
        assertEquals(0, Files.list(tmp).count(), "the service's private directory is gone");
    }

    @Test
    void anUnchangedFileComesBackAsUnchanged() throws Exception {
        Files.writeString(opener, "#!/bin/sh\nsha256sum \"$1\" >> " + log + "\n");
        QubeTools.Run run = editor(request("a.txt".getBytes(StandardCharsets.UTF_8), 3, "abc".getBytes(StandardCharsets.UTF_8)));
        assertEquals(0, run.exit(), run.toString());
        assertEquals(0, run.status(), "unchanged");
        assertEquals(4, run.stdout().length);
        assertTrue(Files.exists(log));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "a/b", "/etc/passwd", ".", "..", "", "line\nbreak", "esc\u001b]0;", "c1\u0085"})
    void aHostileNameIsRefusedBeforeAnythingIsWrittenOrOpened(String name) throws Exception {
        QubeTools.Run run = editor(request(name.getBytes(StandardCharsets.UTF_8), 3, "abc".getBytes(StandardCharsets.UTF_8)));
        assertRefused(run);
    }

    @Test
    void aNameLongerThan255BytesIsRefused() throws Exception {
        assertRefused(editor(request("x".repeat(256).getBytes(StandardCharsets.UTF_8), 1, new byte[1])));
    }

    @Test
    void anOversizedFileIsRefusedBeforeItsDataIsRead() throws Exception {
        QubeTools.Run run = editor(request("big".getBytes(StandardCharsets.UTF_8), 101, new byte[101]), "QUBES_OPENINVM_MAX_BYTES", "100");
        assertRefused(run);
        assertTrue(run.message().contains("more than the 100 bytes allowed"), run.message());
        assertRefused(editor(request("huge".getBytes(StandardCharsets.UTF_8), -1L, new byte[0])));
    }

    @Test
    void aTruncatedRequestIsRefusedAndLeavesNothing() throws Exception {
        assertRefused(editor(request("a".getBytes(StandardCharsets.UTF_8), 10, new byte[9])));
    }

    private void assertRefused(QubeTools.Run run) throws Exception {
        assertEquals(1, run.exit(), run.toString());
        assertEquals(2, run.status(), "a refusal");
        assertFalse(Files.exists(log), "the opener did not run");
        assertEquals(0, Files.list(tmp).count(), "nothing left in TMPDIR");
    }

    /** Runs qopen-in-vm on a file with the given bytes as the other qube's answer; returns the run. */
    private QubeTools.Run caller(Path file, byte[] answer, String... env) throws Exception {
        Map<String, String> e = new java.util.HashMap<>();
        for (int i = 0; i < env.length; i += 2) {
            e.put(env[i], env[i + 1]);
        }
        return QubeTools.run(Files.createDirectories(dir.resolve("scratch")), answer, e,
                QubeTools.program("usr/lib/qubes/qopen-in-vm").toString(), file.toString());
    }

    private static byte[] changed(long size, byte[] data) {
        return ByteBuffer.allocate(12 + data.length).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putLong(size).put(data).array();
    }

    @Test
    void theCallerWritesBackOnlyACompleteBoundedAnswer() throws Exception {
        Path caller = Files.createDirectory(dir.resolve("caller"));
        Path doc = Files.writeString(caller.resolve("doc.txt"), "original\n");
        ByteArrayOutputStream failed = new ByteArrayOutputStream();
        failed.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(2).putInt(9).array());
        failed.writeBytes("no\u001b[2Jway".getBytes(StandardCharsets.UTF_8));
        byte[][] hostile = {
            changed(10, "short".getBytes(StandardCharsets.UTF_8)), // fewer bytes than announced
            changed(1L << 40, new byte[10]), // more than the limit
            changed(-1L, new byte[10]),
            ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(7).array(), // no such status
            new byte[] {1, 0}, // truncated status
            new byte[0], // no answer
            failed.toByteArray(),
        };
        for (byte[] answer : hostile) {
            QubeTools.Run run = caller(doc, answer, "QUBES_OPENINVM_MAX_BYTES", "1K");
            assertEquals(1, run.exit(), run.toString());
            assertEquals("original\n", Files.readString(doc), run.stderr());
            assertEquals(List.of("doc.txt"), Files.list(caller).map(p -> p.getFileName().toString()).toList(), "no temporary file left");
        }
        QubeTools.Run refused = caller(doc, failed.toByteArray());
        assertTrue(refused.stderr().contains("refused or failed: no?[2Jway"), "control characters are not printed: " + refused.stderr());

        QubeTools.Run good = caller(doc, changed(4, "new\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals(0, good.exit(), good.toString());
        assertEquals("new\n", Files.readString(doc));
    }

    @Test
    void theCallerRefusesASymlinkOrAnOversizedFile() throws Exception {
        Path caller = Files.createDirectory(dir.resolve("caller"));
        Path target = Files.writeString(caller.resolve("target"), "x\n");
        Path link = Files.createSymbolicLink(caller.resolve("link"), target);
        assertEquals(1, caller(link, new byte[4]).exit());
        Files.write(target, new byte[2000]);
        QubeTools.Run big = caller(target, new byte[4], "QUBES_OPENINVM_MAX_BYTES", "1K");
        assertEquals(1, big.exit());
        assertTrue(big.stderr().contains("more than the 1024 allowed"), big.stderr());
    }
}
