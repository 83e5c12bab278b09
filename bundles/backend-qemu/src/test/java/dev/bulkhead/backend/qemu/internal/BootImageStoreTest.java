package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.VolumeSpec;

/** The format of a boot image is told by its content, never by its name; what QEMU cannot boot safely is refused. */
class BootImageStoreTest {
    @TempDir
    Path temp;

    private Path file(String name, int size, long at, byte[] bytes) throws IOException {
        Path f = temp.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);
            raf.seek(at);
            raf.write(bytes);
        }
        return f;
    }

    private static byte[] qcow2(int version, long backingOffset, long incompatible) {
        ByteBuffer b = ByteBuffer.allocate(104);
        b.put(new byte[] { 'Q', 'F', 'I', (byte) 0xfb }).putInt(version).putLong(backingOffset);
        b.putLong(72, incompatible);
        return b.array();
    }

    @Test
    void anIsoIsKnownByItsVolumeDescriptorWhateverItsName() throws IOException {
        Path iso = file("disk.qcow2", 0x9000, 0x8001, "CD001".getBytes(StandardCharsets.US_ASCII));
        assertEquals(BootImageStore.Format.ISO, BootImageStore.detect(iso));
    }

    @Test
    void aRawDiskNeedsItsBootSignature() throws IOException {
        assertEquals(BootImageStore.Format.RAW, BootImageStore.detect(file("x.iso", 4096, 510, new byte[] { 0x55, (byte) 0xaa })));
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> BootImageStore.detect(file("blank.img", 4096, 0, new byte[1])));
        assertTrue(e.getMessage().contains("55 AA at 510"), e.getMessage());
    }

    @Test
    void aQcow2ImageIsKnownByItsMagicAndMayNotNameAHostFile() throws IOException {
        assertEquals(BootImageStore.Format.QCOW2, BootImageStore.detect(file("a", 4096, 0, qcow2(3, 0, 1))));
        assertEquals(BootImageStore.Format.QCOW2, BootImageStore.detect(file("b", 4096, 0, qcow2(2, 0, 0))));
        InvalidValueException backing = assertThrows(InvalidValueException.class, () -> BootImageStore.detect(file("c", 4096, 0, qcow2(3, 0x200, 0))));
        assertTrue(backing.getMessage().contains("without a backing file"), backing.getMessage());
        InvalidValueException external = assertThrows(InvalidValueException.class, () -> BootImageStore.detect(file("d", 4096, 0, qcow2(3, 0, 4))));
        assertTrue(external.getMessage().contains("keeps its data inside"), external.getMessage());
        assertThrows(InvalidValueException.class, () -> BootImageStore.detect(file("e", 4096, 0, qcow2(4, 0, 0))));
    }

    @Test
    void tooSmallTooLargeMissingAndNonRegularFilesAreRefused() throws IOException {
        assertThrows(InvalidValueException.class, () -> BootImageStore.detect(file("tiny", 100, 0, new byte[1])));
        Path huge = file("huge", 0, 0, new byte[0]);
        try (RandomAccessFile raf = new RandomAccessFile(huge.toFile(), "rw")) {
            raf.setLength(BootImageStore.MAX_BYTES + 1);
        }
        InvalidValueException big = assertThrows(InvalidValueException.class, () -> BootImageStore.detect(huge));
        assertTrue(big.getMessage().contains("at most 64 GiB"), big.getMessage());
        BootImageStore store = new BootImageStore(new ProcessHostCommands());
        VolumeSpec root = VolumeSpec.persistent(VolumeSpec.ROOT, temp.resolve("root"), 1 << 20, 0);
        assertThrows(InvalidValueException.class, () -> store.install(root, temp.resolve("missing.iso")));
        InvalidValueException dir = assertThrows(InvalidValueException.class, () -> store.install(root, temp));
        assertTrue(dir.getMessage().contains("a regular file"), dir.getMessage());
        assertFalse(Files.exists(root.source().resolve(BootImageStore.DISK)), "nothing was installed");
    }

    @Test
    void aDiskImageBecomesTheRootDiskAndAnIsoGetsAnEmptyDiskToInstallOnto() throws IOException {
        BootImageStore store = new BootImageStore(new ProcessHostCommands());
        VolumeSpec root = VolumeSpec.persistent(VolumeSpec.ROOT, temp.resolve("root"), 8 << 20, 0);
        assertEquals("ISO 9660 image", store.install(root, file("installer", 0x9000, 0x8001, "CD001".getBytes(StandardCharsets.US_ASCII))));
        BootImageStore.Boot boot = store.boot("other", root);
        assertEquals(BootImageStore.Format.RAW.qemuFormat, boot.diskFormat().qemuFormat);
        assertEquals(8L << 20, Files.size(boot.disk()), "an empty disk of the root's size");
        assertTrue(boot.iso().isPresent());

        assertEquals("qcow2 disk image", store.install(root, file("installed", 4096, 0, qcow2(3, 0, 0))));
        boot = store.boot("other", root);
        assertEquals(BootImageStore.Format.QCOW2, boot.diskFormat());
        assertTrue(boot.iso().isEmpty(), "a disk image replaces the installer");
        assertEquals(List.of(BootImageStore.DISK), Files.list(root.source()).map(p -> p.getFileName().toString()).toList());
    }
}
