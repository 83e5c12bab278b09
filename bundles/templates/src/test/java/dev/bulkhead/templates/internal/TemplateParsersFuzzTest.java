package dev.bulkhead.templates.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.template.PayloadFile;
import dev.bulkhead.api.template.TemplateManifest;
import dev.bulkhead.fuzz.Fuzz;
import dev.bulkhead.templates.internal.tar.TarEntry;
import dev.bulkhead.templates.internal.tar.TarReader;

/**
 * Fuzzes what a template package holds before its signature is trusted or its root unpacked: the
 * manifest is a {@link TemplateManifest} that writes and reads back equal, or an
 * {@link AdminException}; a tar archive is entries or an {@link IOException}, never another
 * exception; a root archive that is refused leaves nothing outside its directory. The corpus beside
 * this class replays each hostile case found so far, one file per case.
 */
class TemplateParsersFuzzTest {
    private static final long SEED = 20261204L;
    private static final byte[] VALID_MANIFEST = Manifests.write(new TemplateManifest(1, "debian-12", "1.0", "Debian", "2025-01-01T00:00:00Z",
            List.of("lite", "qemu"), Map.of("private", 2L << 30),
            List.of(new PayloadFile("root.tar.gz", PayloadFile.ROOTFS, List.of("lite"), 100, "ab".repeat(32), 2000),
                    new PayloadFile("vmlinuz", PayloadFile.KERNEL, List.of("qemu"), 50, "cd".repeat(32), 50))));

    @Test
    void aManifestIsReadOrRefusedByNameAndWritesBackEqual() {
        Fuzz.forAll(SEED, 1500, TemplateParsersFuzzTest::manifest, TemplateParsersFuzzTest::readBackOrRefuse);
    }

    @Test
    void aTarArchiveIsReadOrRefusedAsDamaged() {
        Fuzz.forAll(SEED, 1000, TemplateParsersFuzzTest::hostileTar, TemplateParsersFuzzTest::readTarOrRefuse);
    }

    @Test
    void aRootArchiveIsUnpackedOrRefusedWithNothingOutsideItsDirectory() {
        Fuzz.forAll(SEED, 300, TemplateParsersFuzzTest::hostileTar, TemplateParsersFuzzTest::unpackOrRefuse);
    }

    @TestFactory
    Stream<DynamicTest> everyManifestCorpusCaseIsReadOrRefused() {
        assertTrue(Fuzz.corpusFiles(TemplateParsersFuzzTest.class, "corpus/manifest").size() >= 10, "the corpus is there");
        return Fuzz.corpus(TemplateParsersFuzzTest.class, "corpus/manifest", TemplateParsersFuzzTest::readBackOrRefuse);
    }

    @TestFactory
    Stream<DynamicTest> everyTarCorpusCaseIsReadOrRefused() {
        assertTrue(Fuzz.corpusFiles(TemplateParsersFuzzTest.class, "corpus/tar").size() >= 5, "the corpus is there");
        return Fuzz.corpus(TemplateParsersFuzzTest.class, "corpus/tar", TemplateParsersFuzzTest::readTarOrRefuse);
    }

    private static void unpackOrRefuse(byte[] tar) throws IOException {
        Path temp = Files.createTempDirectory("bulkhead-fuzz-");
        try {
            Path root = Files.createDirectory(temp.resolve("root"));
            try {
                new RootExtractor(root, new RootExtractor.Limits(1 << 20, 100, 1 << 20), false).extract(new ByteArrayInputStream(tar), b -> {
                });
            } catch (AdminException | IOException refused) {
                assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank(), refused.toString());
            }
            try (Stream<Path> beside = Files.list(temp)) {
                assertEquals(List.of(root), beside.toList(), "nothing written beside the root");
            }
        } finally {
            StoreFiles.deleteTree(temp);
        }
    }

    private static void readBackOrRefuse(byte[] json) {
        TemplateManifest manifest;
        try {
            manifest = Manifests.parse(json);
        } catch (AdminException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), e.toString());
            return;
        }
        assertEquals(manifest, Manifests.parse(Manifests.write(manifest)));
    }

    private static void readTarOrRefuse(byte[] tar) {
        try {
            TarReader reader = new TarReader(new ByteArrayInputStream(tar));
            for (TarEntry e = reader.next(); e != null; e = reader.next()) {
                try (InputStream content = reader.content()) {
                    content.transferTo(java.io.OutputStream.nullOutputStream());
                }
            }
        } catch (IOException refused) {
            assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank(), refused.toString());
        }
    }

    // ---- generators ------------------------------------------------------------------------------

    /** The valid manifest, with one value replaced by a hostile one, with bytes changed, or random bytes. */
    private static byte[] manifest(Random r) {
        return switch (r.nextInt(10)) {
            case 0 -> VALID_MANIFEST;
            case 1, 2, 3, 4 -> new String(VALID_MANIFEST, StandardCharsets.UTF_8)
                    .replaceFirst(Pattern.quote(Fuzz.oneOf(r, MANIFEST_VALUES)), Matcher.quoteReplacement(Fuzz.oneOf(r, HOSTILE_JSON)))
                    .getBytes(StandardCharsets.UTF_8);
            case 5, 6, 7, 8 -> changedBytes(r, VALID_MANIFEST, 3);
            default -> Fuzz.bytes(r, 200);
        };
    }

    private static final List<String> MANIFEST_VALUES = List.of("\"debian-12\"", "\"1.0\"", "100", "2000", "\"lite\"", "\"rootfs\"",
            "2147483648", "{", "[", "\"private\"");
    private static final List<String> HOSTILE_JSON = List.of("null", "-1", "1e3", "1.5", "99999999999999999999", "\"\"", "[]", "{}",
            "true", "\"dom0\"", "\"a\\u0000b\"", "\"../x\"", "\"é\"", "[\"lite\",\"lite\"]", "\"x\" , \"extra\": 1");
    private static final byte[] PLAIN_ROOT = Archives.minimalRoot().file("etc/" + "long-name-".repeat(12), "x", 0644).bytes();

    /** Root archives: a plain one, its headers mutated, lying PAX records, random bytes. */
    static byte[] hostileTar(Random r) {
        return switch (r.nextInt(10)) {
            case 0 -> PLAIN_ROOT;
            case 1, 2, 3, 4, 5, 6 -> mutatedHeaders(r, PLAIN_ROOT);
            case 7, 8 -> {
                byte[] pax = Fuzz.oneOf(r, paxRecordsThatLie());
                yield HandMadeHeaders.archive(HandMadeHeaders.ustar("PaxHeaders/x", 'x', pax.length), pax, HandMadeHeaders.ustar("x", '0', 1),
                        new byte[] { 'x' });
            }
            default -> Fuzz.bytes(r, 2048);
        };
    }

    /** PAX records a writer would never make: wrong lengths, numbers that are not, huge values. */
    private static List<byte[]> paxRecordsThatLie() {
        return Stream.of("9 path=x\n2147483647 path=y\n", "99999999999 path=x\n", "13 mtime=abc\n", "13 mtime=NaN\n", "10 mtime=\n",
                "15 mtime=1e400\n", "11 size=-1\n", "29 size=99999999999999999999\n", "8 uid=\n", "5 =x\n", "0 \n", "3 a\n", "9 path=x",
                "-5 path=x\n", "16 mtime=-12.75\n", "24 mtime=1700000000.5\n", "19 mtime=Infinity\n").map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
    }

    /** One to four bytes set anywhere, in headers most often; the checksum is fixed up half the time so that the change is read. */
    private static byte[] mutatedHeaders(Random r, byte[] tar) {
        boolean fix = r.nextBoolean();
        byte[] changed = tar.clone();
        for (int edits = 1 + r.nextInt(4); edits > 0; edits--) {
            int at = r.nextInt(tar.length);
            changed[at] = (byte) (r.nextBoolean() ? r.nextInt(256) : Fuzz.oneOf(r, (int) '0', (int) '7', (int) ' ', 0, 0x80, 0xff, (int) 'S',
                    (int) 'x', (int) 'g', (int) 'L'));
            if (fix) {
                byte[] header = new byte[512];
                int block = at / 512 * 512;
                System.arraycopy(changed, block, header, 0, 512);
                HandMadeHeaders.checksum(header);
                System.arraycopy(header, 148, changed, block + 148, 8);
            }
        }
        return changed;
    }

    /** One to {@code most} bytes set to any value anywhere. */
    static byte[] changedBytes(Random r, byte[] data, int most) {
        byte[] changed = data.clone();
        for (int edits = 1 + r.nextInt(most); edits > 0; edits--) {
            changed[r.nextInt(data.length)] = (byte) r.nextInt(256);
        }
        return changed;
    }
}
