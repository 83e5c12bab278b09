package dev.bulkhead.templates.internal;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

import dev.bulkhead.api.AdminException;

/**
 * A template's root image as the package carries it, gzip-compressed ({@link PackageWriter#packImage}), made a disk
 * image again for a VM backend: sparse (blocks of zeros are not written, as the free space of a new file system),
 * and exactly the size the signed manifest gives, never more.
 */
final class RootImages {
    private static final int BLOCK = 1 << 16;
    private static final byte[] ZEROS = new byte[BLOCK];

    private RootImages() {
    }

    /** Unpacks {@code compressed} into {@code image}, a new file, of {@code size} bytes as the manifest says. */
    static void unpack(Path compressed, Path image, long size) throws IOException {
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(compressed), BLOCK), BLOCK);
                FileChannel out = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] block = new byte[BLOCK];
            long written = 0;
            int n;
            while ((n = in.readNBytes(block, 0, BLOCK)) > 0) {
                if (written + n > size) {
                    throw new AdminException("root image " + compressed.getFileName() + " unpacks to more than the " + size
                            + " bytes its manifest gives");
                }
                if (Arrays.mismatch(block, 0, n, ZEROS, 0, n) != -1) {
                    out.write(ByteBuffer.wrap(block, 0, n), written);
                }
                written += n;
            }
            if (written != size) {
                throw new AdminException("root image " + compressed.getFileName() + " unpacks to " + written + " bytes, not the " + size
                        + " its manifest gives");
            }
            if (out.size() < size) {
                // the image ends in free blocks: the file takes its full length, the blocks stay holes
                out.write(ByteBuffer.allocate(1), size - 1);
            }
        } catch (ZipException e) {
            throw new AdminException("root image " + compressed.getFileName() + " is not gzip-compressed: " + e.getMessage(), e);
        }
    }
}
