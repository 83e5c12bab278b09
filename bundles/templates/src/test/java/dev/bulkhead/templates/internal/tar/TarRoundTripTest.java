package dev.bulkhead.templates.internal.tar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarRoundTripTest {
    @TempDir
    Path temp;

    @Test
    void whatIsWrittenIsReadBackLongNamesAndLinksIncluded() throws IOException {
        String longName = "usr/share/" + "deep/".repeat(30) + "file-with-a-long-name.txt";
        String unicode = "etc/caf\u00e9";
        byte[] archive = archive(
                new TarEntry("etc/", TarEntry.Type.DIRECTORY, 0755, 0, 0, 0, 1_700_000_000L, ""),
                new TarEntry(longName, TarEntry.Type.FILE, 04755, 1000, 1000, 5, 1_700_000_001L, ""),
                new TarEntry(unicode, TarEntry.Type.SYMLINK, 0777, 0, 0, 0, 1_700_000_002L, "/" + longName),
                new TarEntry("bin/hard", TarEntry.Type.HARD_LINK, 0644, 0, 0, 0, 1_700_000_003L, longName));

        List<TarEntry> read = new ArrayList<>();
        TarReader reader = new TarReader(new ByteArrayInputStream(archive));
        List<String> contents = new ArrayList<>();
        for (TarEntry e = reader.next(); e != null; e = reader.next()) {
            read.add(e);
            contents.add(new String(reader.content().readAllBytes(), StandardCharsets.UTF_8));
        }

        assertEquals(4, read.size());
        assertEquals(new TarEntry(longName, TarEntry.Type.FILE, 04755, 1000, 1000, 5, 1_700_000_001L, ""), read.get(1));
        assertEquals("hello", contents.get(1));
        assertEquals(unicode, read.get(2).name());
        assertEquals("/" + longName, read.get(2).linkName());
        assertEquals(TarEntry.Type.HARD_LINK, read.get(3).type());
    }

    @Test
    void gnuTarReadsWhatIsWrittenAndItsArchivesAreRead() throws Exception {
        String longName = "a/" + "b".repeat(150);
        Path written = temp.resolve("written.tar");
        Files.write(written, archive(new TarEntry(longName, TarEntry.Type.FILE, 0644, 0, 0, 5, 1_700_000_000L, "")));
        Process list = new ProcessBuilder("tar", "-tf", written.toString()).redirectErrorStream(true).start();
        assertEquals(longName, new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
        assertEquals(0, list.waitFor());

        Path source = Files.createDirectories(temp.resolve("src/a"));
        Files.writeString(source.resolve("c".repeat(120)), "gnu");
        for (String format : List.of("gnu", "posix", "ustar")) {
            Path gnu = temp.resolve(format + ".tar");
            Process p = new ProcessBuilder("tar", "--format=" + format, "-C", temp.resolve("src").toString(), "-cf", gnu.toString(), "a")
                    .redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (format.equals("ustar")) {
                assertTrue(p.waitFor() != 0 || output.contains("too long"), "ustar cannot hold a 122-byte name: " + output);
                continue;
            }
            assertEquals(0, p.waitFor(), output);
            TarReader reader = new TarReader(Files.newInputStream(gnu));
            assertEquals("a/", reader.next().name());
            TarEntry file = reader.next();
            assertEquals("a/" + "c".repeat(120), file.name(), format);
            assertEquals("gnu", new String(reader.content().readAllBytes(), StandardCharsets.UTF_8));
            assertNull(reader.next());
        }
    }

    @Test
    void aDamagedHeaderIsRefused() throws IOException {
        byte[] archive = archive(new TarEntry("x", TarEntry.Type.FILE, 0644, 0, 0, 5, 0, ""));
        archive[10] ^= 1;

        TarException e = assertThrows(TarException.class, () -> new TarReader(new ByteArrayInputStream(archive)).next());

        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void aSparseFileIsRefusedByName() throws IOException {
        byte[] archive = archive(new TarEntry("x", TarEntry.Type.FILE, 0644, 0, 0, 5, 0, ""));
        archive[156] = 'S';
        fixChecksum(archive);

        TarException e = assertThrows(TarException.class, () -> new TarReader(new ByteArrayInputStream(archive)).next());

        assertEquals("entry 'x' is of tar type 'S' (a GNU sparse file), which a template may not hold", e.getMessage());
    }

    @Test
    void anArchiveCutShortIsRefused() throws IOException {
        byte[] archive = archive(new TarEntry("x", TarEntry.Type.FILE, 0644, 0, 0, 5, 0, ""));
        byte[] cut = java.util.Arrays.copyOf(archive, 514);

        TarReader reader = new TarReader(new ByteArrayInputStream(cut));
        reader.next();
        assertThrows(TarException.class, () -> reader.content().readAllBytes());
    }

    @Test
    void paxRecordsAreParsedAndAWrongLengthIsRefused() throws TarException {
        byte[] good = TarWriter.paxRecords(new java.util.LinkedHashMap<>(Map.of("path", "x/y")));
        assertEquals(Map.of("path", "x/y"), TarReader.parsePax(good));
        assertThrows(TarException.class, () -> TarReader.parsePax("99 path=x\n".getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] archive(TarEntry... entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(out)) {
            for (TarEntry e : entries) {
                tar.write(e, new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8)));
            }
        }
        return out.toByteArray();
    }

    private static void fixChecksum(byte[] archive) {
        for (int i = 148; i < 156; i++) {
            archive[i] = ' ';
        }
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += archive[i] & 0xff;
        }
        byte[] digits = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, archive, 148, 8);
    }
}
