package dev.bulkhead.templates.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.template.PayloadFile;
import dev.bulkhead.api.template.TemplateManifest;
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
    private static final byte[] VALID_MANIFEST = Manifests.write(new TemplateManifest(1, "debian-12", "1.0", "Debian", "2025-01-01T00:00:00Z",
            List.of("lite", "qemu"), Map.of("private", 2L << 30),
            List.of(new PayloadFile("root.tar.gz", PayloadFile.ROOTFS, List.of("lite"), 100, "ab".repeat(32), 2000),
                    new PayloadFile("vmlinuz", PayloadFile.KERNEL, List.of("qemu"), 50, "cd".repeat(32), 50))));

    @Property(tries = 1500, seed = "20261204")
    void aManifestIsReadOrRefusedByNameAndWritesBackEqual(@ForAll("manifests") byte[] json) {
        readBackOrRefuse(json);
    }

    @Property(tries = 1000, seed = "20261204")
    void aTarArchiveIsReadOrRefusedAsDamaged(@ForAll("tars") byte[] tar) {
        readTarOrRefuse(tar);
    }

    @Property(tries = 300, seed = "20261204")
    void aRootArchiveIsUnpackedOrRefusedWithNothingOutsideItsDirectory(@ForAll("tars") byte[] tar) throws IOException {
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
            TemplateStoreService.deleteTree(temp);
        }
    }

    @Example
    void everyManifestCorpusCaseIsReadOrRefused() throws IOException, URISyntaxException {
        List<Path> cases = corpus("manifest");
        assertTrue(cases.size() >= 10, cases.toString());
        for (Path c : cases) {
            readBackOrRefuse(Files.readAllBytes(c));
        }
    }

    @Example
    void everyTarCorpusCaseIsReadOrRefused() throws IOException, URISyntaxException {
        List<Path> cases = corpus("tar");
        assertTrue(cases.size() >= 5, cases.toString());
        for (Path c : cases) {
            readTarOrRefuse(Files.readAllBytes(c));
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

    private static List<Path> corpus(String kind) throws IOException, URISyntaxException {
        Path dir = Path.of(TemplateParsersFuzzTest.class.getResource("corpus/" + kind).toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    // ---- generators ------------------------------------------------------------------------------

    @Provide
    Arbitrary<byte[]> manifests() {
        String valid = new String(VALID_MANIFEST, StandardCharsets.UTF_8);
        Arbitrary<String> replaced = Combinators.combine(Arbitraries.of("\"debian-12\"", "\"1.0\"", "100", "2000", "\"lite\"", "\"rootfs\"",
                "2147483648", "{", "[", "\"private\""), Arbitraries.of("null", "-1", "1e3", "1.5", "99999999999999999999", "\"\"", "[]",
                "{}", "true", "\"dom0\"", "\"a\\u0000b\"", "\"../x\"", "\"é\"", "[\"lite\",\"lite\"]", "\"x\" , \"extra\": 1"))
                .as((what, with) -> valid.replaceFirst(java.util.regex.Pattern.quote(what), java.util.regex.Matcher.quoteReplacement(with)));
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(VALID_MANIFEST)),
                Tuple.of(4, replaced.map(s -> s.getBytes(StandardCharsets.UTF_8))),
                Tuple.of(4, Arbitraries.just(VALID_MANIFEST).flatMap(TemplateParsersFuzzTest::mutatedBytes)),
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(200)));
    }

    @Provide
    Arbitrary<byte[]> tars() {
        return hostileTars();
    }

    /** Root archives: a plain one, its headers mutated, lying PAX records, random bytes. */
    static Arbitrary<byte[]> hostileTars() {
        byte[] plain = Archives.minimalRoot().file("etc/" + "long-name-".repeat(12), "x", 0644).bytes();
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(plain)),
                Tuple.of(6, Arbitraries.just(plain).flatMap(TemplateParsersFuzzTest::mutatedHeaders)),
                Tuple.of(2, Arbitraries.of(paxRecordsThatLie()).map(pax -> HandMadeHeaders.archive(
                        HandMadeHeaders.ustar("PaxHeaders/x", 'x', pax.length), pax, HandMadeHeaders.ustar("x", '0', 1), new byte[] { 'x' }))),
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(2048)));
    }

    /** PAX records a writer would never make: wrong lengths, numbers that are not, huge values. */
    private static List<byte[]> paxRecordsThatLie() {
        return Stream.of("9 path=x\n2147483647 path=y\n", "99999999999 path=x\n", "13 mtime=abc\n", "13 mtime=NaN\n", "10 mtime=\n",
                "15 mtime=1e400\n", "11 size=-1\n", "29 size=99999999999999999999\n", "8 uid=\n", "5 =x\n", "0 \n", "3 a\n", "9 path=x",
                "-5 path=x\n", "16 mtime=-12.75\n", "24 mtime=1700000000.5\n", "19 mtime=Infinity\n").map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
    }

    /** One to four bytes set anywhere, in headers most often; the checksum is fixed up half the time so that the change is read. */
    private static Arbitrary<byte[]> mutatedHeaders(byte[] tar) {
        Arbitrary<int[]> edit = Combinators.combine(Arbitraries.integers().between(0, tar.length - 1),
                Arbitraries.oneOf(Arbitraries.integers().between(0, 255), Arbitraries.of((int) '0', (int) '7', (int) ' ', 0, 0x80, 0xff, (int) 'S',
                        (int) 'x', (int) 'g', (int) 'L')))
                .as((at, value) -> new int[] { at, value });
        return Combinators.combine(edit.list().ofMinSize(1).ofMaxSize(4), Arbitraries.of(true, false)).as((edits, fix) -> {
            byte[] changed = tar.clone();
            for (int[] e : edits) {
                changed[e[0]] = (byte) e[1];
                if (fix) {
                    byte[] header = new byte[512];
                    int block = e[0] / 512 * 512;
                    System.arraycopy(changed, block, header, 0, 512);
                    HandMadeHeaders.checksum(header);
                    System.arraycopy(header, 148, changed, block + 148, 8);
                }
            }
            return changed;
        });
    }

    private static Arbitrary<byte[]> mutatedBytes(byte[] data) {
        Arbitrary<int[]> edit = Combinators.combine(Arbitraries.integers().between(0, data.length - 1), Arbitraries.integers().between(0, 255))
                .as((at, value) -> new int[] { at, value });
        return edit.list().ofMinSize(1).ofMaxSize(3).map(edits -> {
            byte[] changed = data.clone();
            edits.forEach(e -> changed[e[0]] = (byte) e[1]);
            return changed;
        });
    }
}
