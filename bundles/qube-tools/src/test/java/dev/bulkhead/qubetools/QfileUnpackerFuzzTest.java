package dev.bulkhead.qubetools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import dev.bulkhead.fuzz.Fuzz;

/**
 * Generated and mutated qubes.Filecopy streams, and the checked-in corpus, against qfile-unpacker:
 * it always ends (bounded by QubeTools.TIMEOUT_SECONDS), never by a signal, never writes outside
 * ~/QubesIncoming/work, leaves nothing there when it refuses, and what it accepts holds no symlink
 * and no setuid, setgid or sticky bit.
 */
class QfileUnpackerFuzzTest {
    private static final String[] NAMES = {"a", "a/b", "a/b/c", "..", "../x", "a/../../x", "/x", "./a", "a//b", "a/", "x\ny", "\u0000",
        "evil", "evil/x", "out", "out/precious", "Grüße", "a\u0085"};

    @Test
    void generatedAndMutatedStreamsAreHandledSafely() {
        Fuzz.forAll(20261205L, 250, QfileUnpackerFuzzTest::stream, QfileUnpackerFuzzTest::unpacksSafely);
    }

    @TestFactory
    Stream<DynamicTest> corpus() {
        return Fuzz.corpus(QfileUnpackerFuzzTest.class, "corpus/filecopy", QfileUnpackerFuzzTest::unpacksSafely);
    }

    /** A stream of entries with names, modes and sizes drawn to break the receiver, well-formed or mutated, or random bytes. */
    static byte[] stream(Random r) {
        FilecopyStream s = new FilecopyStream();
        int entries = r.nextInt(6);
        for (int i = 0; i < entries; i++) {
            String name = r.nextInt(3) == 0 ? Fuzz.hostileString(r, 40) : Fuzz.oneOf(r, NAMES);
            byte[] data = Fuzz.bytes(r, 300);
            switch (r.nextInt(7)) {
                case 0 -> s.dir(name, r.nextInt(010000));
                case 1 -> s.symlink(name, Fuzz.oneOf(r, "../../outside", "/", "a", "..", "../../../outside/precious"));
                case 2 -> s.entry(name.getBytes(java.nio.charset.StandardCharsets.UTF_8), r.nextInt(), data);
                case 3 -> s.header(r.nextInt(3) == 0 ? r.nextInt() & 0xffff_ffffL : name.length(), FilecopyStream.S_IFREG | 0644,
                        r.nextInt(3) == 0 ? r.nextLong() : data.length).raw(name.getBytes(java.nio.charset.StandardCharsets.UTF_8)).raw(data);
                default -> s.file(name, r.nextInt(010000), data);
            }
        }
        if (r.nextInt(4) != 0) {
            s.end();
        }
        byte[] bytes = s.bytes();
        return switch (r.nextInt(5)) {
            case 0 -> Fuzz.mutate(r, bytes);
            case 1 -> Fuzz.bytes(r, 200);
            default -> bytes;
        };
    }

    static void unpacksSafely(byte[] stream) throws Exception {
        try (Sandbox box = new Sandbox()) {
            Files.createDirectories(box.incoming);
            Files.createSymbolicLink(box.incoming.resolve("evil"), box.outside);
            Map<String, String> before = box.snapshot();

            QubeTools.Run run = box.unpack(stream, "QUBES_FILECOPY_MAX_BYTES", "1M", "QUBES_FILECOPY_MAX_FILES", "50");

            assertTrue(run.exit() == 0 || run.exit() == 1, "ended by exit 0 or 1, not a signal: " + run);
            Map<String, String> after = box.snapshot();
            Map<String, String> outsideIncoming = new java.util.TreeMap<>(after);
            outsideIncoming.keySet().removeIf(k -> k.startsWith("home/QubesIncoming/work/"));
            Map<String, String> beforeOutside = new java.util.TreeMap<>(before);
            beforeOutside.keySet().removeIf(k -> k.startsWith("home/QubesIncoming/work/"));
            assertEquals(beforeOutside, outsideIncoming, "nothing changed outside the incoming directory");
            if (run.exit() != 0) {
                assertEquals(before, after, "a refusal leaves nothing: " + run.message());
                return;
            }
            assertEquals(0, run.status());
            try (Stream<Path> all = Files.walk(box.incoming)) {
                for (Path p : all.toList()) {
                    if (p.equals(box.incoming.resolve("evil"))) {
                        continue;
                    }
                    assertFalse(Files.isSymbolicLink(p), "no symlink arrives: " + p);
                    int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                    assertEquals(0, mode & 07000, "no setuid, setgid or sticky bit: " + p);
                }
            }
        }
    }
}
