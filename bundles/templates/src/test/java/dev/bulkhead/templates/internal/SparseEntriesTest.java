package dev.bulkhead.templates.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.bulkhead.templates.internal.tar.TarException;

/**
 * A sparse file is refused in every form GNU tar writes one, so that no stand-in such as
 * {@code GNUSparseFile.<pid>/name} or a file of the condensed data is ever unpacked: archives made by
 * the real GNU tar, and headers made by hand for what tar no longer writes.
 */
class SparseEntriesTest {
    private static final RootExtractor.Limits LIMITS = new RootExtractor.Limits(1 << 30, 100, 1 << 30);

    @TempDir
    Path temp;
    private Path root;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectory(temp.resolve("root"));
    }

    @ParameterizedTest(name = "tar --sparse --format={0}")
    @ValueSource(strings = { "gnu", "oldgnu" })
    void aGnuSparseFileIsRefused(String format) throws Exception {
        assertRefused(gnuTar("--format=" + format), "is of tar type 'S' (a GNU sparse file)");
    }

    @ParameterizedTest(name = "tar --sparse --format=posix --sparse-version={0}")
    @ValueSource(strings = { "0.0", "0.1", "1.0" })
    void aPaxSparseFileIsRefused(String version) throws Exception {
        assertRefused(gnuTar("--format=posix", "--sparse-version=" + version), "is a sparse file (PAX record GNU.sparse.");
    }

    @Test
    void thePax10StandInNameIsRefusedWithoutItsPaxRecords() throws IOException {
        byte[] header = HandMadeHeaders.ustar("./GNUSparseFile.4242/hole", '0', 4);

        assertRefused(HandMadeHeaders.archive(header, "data".getBytes(StandardCharsets.US_ASCII)),
                "is named like the stand-in of a PAX 1.0 sparse file");
    }

    @Test
    void aSparseRecordInAGlobalPaxHeaderIsRefused() throws IOException {
        byte[] global = HandMadeHeaders.paxRecords("GNU.sparse.major", "1");

        assertRefused(HandMadeHeaders.archive(HandMadeHeaders.ustar("pax_global_header", 'g', global.length), global,
                HandMadeHeaders.ustar("hole", '0', 4), "data".getBytes(StandardCharsets.US_ASCII)), "PAX record GNU.sparse.major");
    }

    @Test
    void anOldGnuHeaderWithASparseMapIsRefusedWhateverItsType() throws IOException {
        byte[] extended = HandMadeHeaders.oldGnu("hole", '0', 4);
        extended[482] = 1;
        byte[] mapped = HandMadeHeaders.oldGnu("hole", '0', 4);
        HandMadeHeaders.put(mapped, 386, "00000000000");
        HandMadeHeaders.put(mapped, 398, "00000000004");
        HandMadeHeaders.put(mapped, 483, "00004000000");

        for (byte[] header : List.of(extended, mapped)) {
            HandMadeHeaders.checksum(header);
            root = Files.createTempDirectory(temp, "root-");
            assertRefused(HandMadeHeaders.archive(header, "data".getBytes(StandardCharsets.US_ASCII)), "carries an old-GNU sparse map");
        }
    }

    @Test
    void anOldGnuHeaderOfAPlainFileIsStillRead() throws IOException {
        long bytes = new RootExtractor(root, LIMITS, false).extract(new ByteArrayInputStream(
                HandMadeHeaders.archive(HandMadeHeaders.oldGnu("plain", '0', 4), "data".getBytes(StandardCharsets.US_ASCII))), b -> {
                });

        assertEquals(4, bytes);
        assertEquals("data", Files.readString(root.resolve("plain")));
    }

    /** A file of 1 MiB that is a hole but for 4 bytes, archived by GNU tar with {@code --sparse}. */
    private byte[] gnuTar(String... options) throws Exception {
        Path dir = Files.createTempDirectory(temp, "src-");
        try (RandomAccessFile hole = new RandomAccessFile(dir.resolve("hole").toFile(), "rw")) {
            hole.setLength(1 << 20);
            hole.seek(500_000);
            hole.write("data".getBytes(StandardCharsets.US_ASCII));
        }
        Path archive = temp.resolve("sparse-" + System.nanoTime() + ".tar");
        List<String> command = new ArrayList<>(List.of("tar", "--sparse", "-cf", archive.toString(), "-C", dir.toString()));
        command.addAll(List.of(options));
        command.add("hole");
        Process tar = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(tar.waitFor(30, TimeUnit.SECONDS), "tar finishes");
        assertEquals(0, tar.exitValue(), new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        return Files.readAllBytes(archive);
    }

    private void assertRefused(byte[] archive, String message) throws IOException {
        TarException e = assertThrows(TarException.class,
                () -> new RootExtractor(root, LIMITS, false).extract(new ByteArrayInputStream(archive), bytes -> {
                }));

        assertTrue(e.getMessage().contains(message), e.getMessage());
        try (var left = Files.list(root)) {
            assertEquals(List.of(), left.toList(), "nothing unpacked");
        }
    }
}
