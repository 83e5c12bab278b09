package dev.bulkhead.volume.store;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;

/** The host programs volumes are made, copied and inspected with, each bounded by the command timeout. */
public final class VolumeCommands {
    /** ext4 needs some room for its own structures. */
    public static final long MIN_IMAGE_BYTES = 16L << 20;

    private final HostCommands executor;
    private final Duration timeout;

    public VolumeCommands(HostCommands executor, Duration timeout) {
        this.executor = executor;
        this.timeout = timeout;
    }

    /** Runs the program; fails when it fails. */
    public HostCommandResult run(String... argv) {
        return executor.runOrThrow(command(argv));
    }

    /** Runs the program; its exit status is the caller's to judge. */
    public HostCommandResult attempt(String... argv) {
        return executor.run(command(argv));
    }

    /** Runs the command; its exit status is the caller's to judge. */
    public HostCommandResult attempt(HostCommand command) {
        return executor.run(command);
    }

    /** Makes an empty ext4 file system of {@code sizeBytes} in the (sparse) file {@code image}. */
    public void makeImage(Path image, long sizeBytes) {
        if (sizeBytes < MIN_IMAGE_BYTES) {
            throw new InvalidValueException("size of volume image " + image.getFileName(), Long.toString(sizeBytes),
                    "at least " + MIN_IMAGE_BYTES + " bytes");
        }
        setLength(image, sizeBytes);
        run("mkfs.ext4", "-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1",
                image.toString());
    }

    /** Copies a tree or an image with what it holds: owners, modes, links, holes; instantly where the file system can share blocks. */
    public void copyContent(Path from, Path to) {
        run("cp", "-a", "--sparse=always", "--reflink=auto", "--no-target-directory",
                from.toString(), to.toString());
    }

    public HostCommand command(String... argv) {
        return HostCommand.of(timeout, List.of(argv));
    }

    public static void setLength(Path image, long sizeBytes) {
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(sizeBytes);
        } catch (IOException e) {
            throw new AdminException("cannot size " + image + " to " + sizeBytes + " bytes: " + e.getMessage(), e);
        }
    }
}
