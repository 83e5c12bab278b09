package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import dev.bulkhead.api.AdminException;

/**
 * Whether a QEMU has a disk image open. QEMU locks the bytes of an image it opens (open file description locks, on
 * offsets standing for the permissions it holds and those it shares), a writer and a reader in snapshot mode alike,
 * and keeps them until it closes the image. A write lock on the whole file conflicts with any of them: taken and
 * given back at once, it tells without a host program whether any QEMU, of this platform's run or another's, has the
 * image open.
 */
final class DiskLocks {
    private DiskLocks() {
    }

    static boolean inUse(Path image) {
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true; // another thread of this platform probes it at this moment
        } catch (IOException e) {
            throw new AdminException("cannot tell whether " + image + " is in use: " + e.getMessage(), e);
        }
    }
}
