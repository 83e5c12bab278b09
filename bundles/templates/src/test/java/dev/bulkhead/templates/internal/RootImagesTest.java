package dev.bulkhead.templates.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.template.PayloadFile;

class RootImagesTest {
    @TempDir
    Path temp;

    /** 4 MiB: random data at the start and in the middle, zeros elsewhere, as a new file system's image. */
    private Path image() throws IOException {
        byte[] bytes = new byte[4 << 20];
        Random random = new Random(7);
        byte[] data = new byte[300_000];
        random.nextBytes(data);
        System.arraycopy(data, 0, bytes, 0, data.length);
        System.arraycopy(data, 0, bytes, 2 << 20, data.length);
        Path image = temp.resolve("root.img");
        Files.write(image, bytes);
        return image;
    }

    @Test
    void aPackedImageUnpacksToTheSameBytesWithItsZerosAsHoles() throws IOException {
        Path image = image();
        PayloadFile packed = PackageWriter.packImage(image, temp.resolve("root.img.gz"), "root.img.gz", List.of("qemu"));
        assertEquals(PayloadFile.ROOT_IMAGE, packed.kind());
        assertEquals(Files.size(image), packed.unpackedSize());
        assertTrue(packed.size() < Files.size(image) / 4, "compressed: " + packed.size());

        Path unpacked = temp.resolve("out.img");
        RootImages.unpack(temp.resolve("root.img.gz"), unpacked, packed.unpackedSize());

        assertArrayEquals(Files.readAllBytes(image), Files.readAllBytes(unpacked));
        long allocated = allocated(unpacked);
        assertTrue(allocated < Files.size(image) / 2, "sparse: " + allocated + " bytes allocated of " + Files.size(image));
    }

    /** The bytes a file takes on the file system, as stat(1) tells (Java has no attribute for it). */
    static long allocated(Path file) throws IOException {
        Process stat = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
        String[] out = new String(stat.getInputStream().readAllBytes()).strip().split(" ");
        return Long.parseLong(out[0]) * Long.parseLong(out[1]);
    }

    @Test
    void anImageThatUnpacksToMoreOrLessThanItsManifestSaysIsRefused() throws IOException {
        Path image = image();
        PayloadFile packed = PackageWriter.packImage(image, temp.resolve("root.img.gz"), "root.img.gz", List.of("qemu"));

        AdminException more = assertThrows(AdminException.class,
                () -> RootImages.unpack(temp.resolve("root.img.gz"), temp.resolve("a.img"), packed.unpackedSize() - 1));
        assertTrue(more.getMessage().contains("unpacks to more than"), more.getMessage());
        AdminException less = assertThrows(AdminException.class,
                () -> RootImages.unpack(temp.resolve("root.img.gz"), temp.resolve("b.img"), packed.unpackedSize() + 1));
        assertTrue(less.getMessage().contains("unpacks to " + packed.unpackedSize() + " bytes"), less.getMessage());
    }

    @Test
    void anImageThatIsNotGzipIsRefusedAndAnExistingFileIsNeverOverwritten() throws IOException {
        Path raw = image();
        AdminException e = assertThrows(AdminException.class, () -> RootImages.unpack(raw, temp.resolve("c.img"), Files.size(raw)));
        assertTrue(e.getMessage().contains("not gzip-compressed"), e.getMessage());

        Path gz = temp.resolve("x.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(new byte[10]);
        }
        Files.writeString(temp.resolve("taken.img"), "mine");
        assertThrows(IOException.class, () -> RootImages.unpack(gz, temp.resolve("taken.img"), 10));
        assertEquals("mine", Files.readString(temp.resolve("taken.img")));
        assertFalse(Files.exists(temp.resolve("c.img")), "nothing made of what is not gzip");
    }
}
