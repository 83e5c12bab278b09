package dev.bulkhead.volume.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import dev.bulkhead.api.AdminException;

/** File operations on volume storage that report failure as the platform's errors. */
public final class VolumeFiles {
    private VolumeFiles() {
    }

    public static Path createDirectories(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new AdminException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    public static void move(Path from, Path to) {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new AdminException("cannot move " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }

    public static void deleteTree(Path tree) {
        try {
            FileTrees.deleteRecursively(tree);
        } catch (IOException | UncheckedIOException e) {
            throw new AdminException("cannot remove " + tree + ": " + e.getMessage(), e);
        }
    }

    public static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new AdminException("cannot read the size of " + file + ": " + e.getMessage(), e);
        }
    }
}
