package dev.bulkhead.qubetools;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The built qube tools (target/root, laid out as in a qube), run as processes on this host the way
 * a qube runs them: with HOME and QREXEC_REMOTE_DOMAIN set, their streams connected by pipes or fed
 * from files. Every run is bounded: a program that does not end is killed and fails the test.
 */
final class QubeTools {
    static final long TIMEOUT_SECONDS = 60;

    private QubeTools() {
    }

    static Path root() {
        return Path.of(System.getProperty("qube.tools.root", "target/root"));
    }

    static Path program(String pathInQube) {
        Path p = root().resolve(pathInQube);
        assertTrue(Files.isExecutable(p), "built program missing: " + p);
        return p;
    }

    /** What a program printed and how it ended. */
    record Run(int exit, byte[] stdout, String stderr) {
        int status() {
            return stdout.length >= 4 ? ByteBuffer.wrap(stdout).order(ByteOrder.LITTLE_ENDIAN).getInt(0) : -1;
        }

        /** The receiver's result message (qfile-proto.h), or "" when there is none. */
        String message() {
            if (stdout.length < 8) {
                return "";
            }
            int len = ByteBuffer.wrap(stdout).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
            return new String(stdout, 8, Math.min(len, stdout.length - 8), StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "exit " + exit + ", stderr: " + stderr;
        }
    }

    /** Runs a program with stdin from a file, stdout and stderr to files beside it, in the environment given. */
    static Run run(Path scratch, byte[] stdin, Map<String, String> env, String... command) throws IOException, InterruptedException {
        Path in = Files.write(scratch.resolve("stdin"), stdin);
        Path out = scratch.resolve("stdout");
        Path err = scratch.resolve("stderr");
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        int exit = waitFor(p, command[0]);
        Run run = new Run(exit, Files.readAllBytes(out), new String(Files.readAllBytes(err), StandardCharsets.UTF_8));
        Files.delete(in);
        Files.delete(out);
        Files.delete(err);
        return run;
    }

    static int waitFor(Process p, String what) throws InterruptedException {
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(what + " did not end within " + TIMEOUT_SECONDS + " s");
        }
        return p.exitValue();
    }

    /**
     * Runs a sender and a receiver with each one's stdout piped into the other's stdin, as
     * qrexec-client-vm joins a local program and a service; returns {sender, receiver}.
     */
    static Run[] connect(List<String> sender, Map<String, String> senderEnv, Path senderDir, List<String> receiver,
            Map<String, String> receiverEnv) throws IOException, InterruptedException {
        ProcessBuilder s = new ProcessBuilder(sender).directory(senderDir.toFile());
        s.environment().putAll(senderEnv);
        ProcessBuilder r = new ProcessBuilder(receiver);
        r.environment().putAll(receiverEnv);
        Process ps = s.start();
        Process pr = r.start();
        Thread there = pump(ps.getInputStream(), pr.getOutputStream());
        Thread back = pump(pr.getInputStream(), ps.getOutputStream());
        StringBuilder senderErr = new StringBuilder();
        StringBuilder receiverErr = new StringBuilder();
        Thread e1 = collect(ps.getErrorStream(), senderErr);
        Thread e2 = collect(pr.getErrorStream(), receiverErr);
        int rs = waitFor(ps, sender.get(0));
        int rr = waitFor(pr, receiver.get(0));
        for (Thread t : List.of(there, back, e1, e2)) {
            t.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        }
        return new Run[] {new Run(rs, new byte[0], senderErr.toString()), new Run(rr, new byte[0], receiverErr.toString())};
    }

    private static Thread pump(InputStream from, OutputStream to) {
        Thread t = new Thread(() -> {
            try (from; to) {
                byte[] buf = new byte[65536];
                for (int n; (n = from.read(buf)) >= 0;) {
                    // Process streams are buffered: a message must reach the other side before this one's next read.
                    to.write(buf, 0, n);
                    to.flush();
                }
            } catch (IOException e) {
                // the other side ended: its exit status tells what happened
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static Thread collect(InputStream from, StringBuilder into) {
        Thread t = new Thread(() -> {
            try (from) {
                String text = new String(from.readAllBytes(), StandardCharsets.UTF_8);
                synchronized (into) {
                    into.append(text);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Every path below dir (relative, '/'-separated, sorted) with what it is: "d", "l -> TARGET", or the file's SHA-256 and mode. */
    static Map<String, String> tree(Path dir) throws IOException {
        Map<String, String> tree = new TreeMap<>();
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return tree;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.toList()) {
                if (p.equals(dir)) {
                    continue;
                }
                String key = dir.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    tree.put(key, "l -> " + Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p)) {
                    tree.put(key, "d " + mode(p));
                } else {
                    tree.put(key, sha256(Files.readAllBytes(p)) + " " + mode(p));
                }
            }
        }
        return tree;
    }

    /** st_mode's permission, setuid, setgid and sticky bits, as octal text (the JDK's "unix" view, which has them all). */
    static String mode(Path p) throws IOException {
        return Integer.toOctalString((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted((a, b) -> b.compareTo(a)).toList()) {
                p.toFile().setWritable(true);
                Files.delete(p);
            }
        }
    }
}
