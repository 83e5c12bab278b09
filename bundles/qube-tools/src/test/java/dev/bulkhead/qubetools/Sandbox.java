package dev.bulkhead.qubetools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A receiving qube's files on this host: a home with ~/QubesIncoming/work (work is the sender), and
 * beside the home a directory outside it, with a file, that a hostile stream aims at.
 */
final class Sandbox implements AutoCloseable {
    static final String SOURCE = "work";
    final Path root;
    final Path home;
    final Path incoming;
    final Path outside;
    final Path scratch;

    Sandbox() throws IOException {
        root = Files.createTempDirectory("bulkhead-filecopy-");
        home = Files.createDirectory(root.resolve("home"));
        incoming = home.resolve("QubesIncoming").resolve(SOURCE);
        outside = Files.createDirectory(root.resolve("outside"));
        Files.writeString(outside.resolve("precious"), "left alone\n");
        scratch = Files.createDirectory(root.resolve("scratch"));
    }

    Map<String, String> env(String... keyValues) {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", home.toString());
        env.put("QREXEC_REMOTE_DOMAIN", SOURCE);
        for (int i = 0; i < keyValues.length; i += 2) {
            env.put(keyValues[i], keyValues[i + 1]);
        }
        return env;
    }

    /** Every path of the sandbox but the scratch files, with what it is. */
    Map<String, String> snapshot() throws IOException {
        Map<String, String> all = QubeTools.tree(root);
        all.keySet().removeIf(k -> k.startsWith("scratch"));
        return all;
    }

    QubeTools.Run unpack(byte[] stream, String... env) throws IOException, InterruptedException {
        return QubeTools.run(scratch, stream, env(env), QubeTools.program("usr/lib/qubes/qfile-unpacker").toString());
    }

    /**
     * Feeds the stream to qfile-unpacker and checks a refusal: exit 1, a non-zero status with a
     * message sent back, and every path of the sandbox as it was (~/QubesIncoming/work aside, which
     * may be created, empty); returns the message.
     */
    String assertRefused(byte[] stream, String... env) throws IOException, InterruptedException {
        Map<String, String> before = snapshot();
        QubeTools.Run run = unpack(stream, env);
        assertEquals(1, run.exit(), run.toString());
        assertNotEquals(0, run.status(), "a refusal has a non-zero status");
        assertTrue(!run.message().isEmpty(), "a refusal says why");
        Map<String, String> after = snapshot();
        for (String created : new String[] {"home/QubesIncoming", "home/QubesIncoming/" + SOURCE}) {
            if (!before.containsKey(created)) {
                after.remove(created);
            }
        }
        assertEquals(before, after, "nothing is left of a refused copy: " + run.message());
        return run.message();
    }

    @Override
    public void close() throws IOException {
        QubeTools.deleteTree(root);
    }
}
