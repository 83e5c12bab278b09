package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;

/**
 * A template's root as a VM disk. A root volume's storage directory holds, on this backend, {@value #IMAGE} (a raw
 * ext4 image) and, when the template brought them, its own kernel {@value #KERNEL} and initramfs {@value #INITRAMFS}
 * (the built-in ones boot it otherwise). A TemplateVM or StandaloneVM boots its own image writable; an AppVM or
 * DispVM boots its template's through a qcow2 overlay in its domain directory, made afresh at each start and removed
 * at stop, so nothing it writes to {@code /} outlives it and the template's image is only read. The guest's init makes
 * the disk with serial {@value #SERIAL} its {@code /}.
 */
final class QemuRootDisks {
    static final String IMAGE = "root.img";
    static final String KERNEL = "vmlinuz";
    static final String INITRAMFS = "initrd.img";
    static final String OVERLAY = "root.qcow2";
    static final String SERIAL = "bulkhead-root";

    private final DomainLayout layout;
    private final HostCommands commands;
    private final Duration commandTimeout;
    /** Whether a domain's QEMU runs. */
    private final Predicate<String> running;

    QemuRootDisks(DomainLayout layout, HostCommands commands, Duration commandTimeout, Predicate<String> running) {
        this.layout = layout;
        this.commands = commands;
        this.commandTimeout = commandTimeout;
        this.running = running;
    }

    /**
     * The root disk and boot files a domain gets.
     *
     * @param image     what QEMU opens: the root image itself, or the domain's overlay over it
     * @param format    {@code raw} or {@code qcow2}
     * @param kernel    the kernel to boot, empty for the built-in one
     * @param initramfs the initramfs to boot, empty for the built-in one
     */
    record RootDisk(Path image, String format, Optional<Path> kernel, Optional<Path> initramfs) {
    }

    /**
     * The root disk of the spec, made ready to boot: empty when the spec has none (the built-in image then boots
     * alone). A root without an image for this backend is refused, naming the qube whose root it is.
     */
    Optional<RootDisk> prepare(DomainSpec spec) {
        check(spec);
        Optional<VolumeSpec> root = spec.volume(VolumeSpec.ROOT);
        if (root.isEmpty()) {
            return Optional.empty();
        }
        VolumeSpec volume = root.get();
        Path image = volume.source().resolve(IMAGE);
        Optional<Path> kernel = bootFile(volume, KERNEL);
        Optional<Path> initramfs = bootFile(volume, INITRAMFS);
        if (!volume.snapshot()) {
            return Optional.of(new RootDisk(image, "raw", kernel, initramfs));
        }
        Path overlay = layout.directory(spec.name()).resolve(OVERLAY);
        try {
            Files.deleteIfExists(overlay);
        } catch (IOException e) {
            throw new AdminException("cannot remove the old root overlay " + overlay + ": " + e.getMessage(), e);
        }
        commands.runOrThrow(HostCommand.of(commandTimeout, "qemu-img", "create", "-q", "-f", "qcow2", "-b", image.toString(),
                "-F", "raw", overlay.toString()));
        return Optional.of(new RootDisk(overlay, "qcow2", kernel, initramfs));
    }

    /**
     * Refuses, before anything is made, a root the spec cannot boot on: one without an image for this backend, with
     * half of its boot files, or (for an AppVM) whose template runs and writes it.
     */
    void check(DomainSpec spec) {
        Optional<VolumeSpec> root = spec.volume(VolumeSpec.ROOT);
        if (root.isEmpty()) {
            return;
        }
        VolumeSpec volume = root.get();
        Path image = volume.source().resolve(IMAGE);
        String owner = ownerOf(volume);
        if (!Files.isRegularFile(image, LinkOption.NOFOLLOW_LINKS)) {
            boolean tree = Files.isDirectory(volume.source().resolve("tree"));
            throw new InvalidValueException("root of '" + spec.name() + "'", owner + ":root",
                    "a root image for the qemu backend: " + owner + " has no " + IMAGE + " in " + volume.source()
                            + (tree ? " (only a root tree, which the lite backend runs: its template was installed for lite)" : "")
                            + "; install a template package with a root-image payload while backend=qemu");
        }
        Optional<Path> kernel = bootFile(volume, KERNEL);
        Optional<Path> initramfs = bootFile(volume, INITRAMFS);
        if (kernel.isPresent() != initramfs.isPresent()) {
            throw new InvalidValueException("boot files of " + owner + ":root", volume.source().toString(),
                    "both " + KERNEL + " and " + INITRAMFS + ", or neither (the built-in ones then boot it)");
        }
        // QEMU would refuse the image anyway (the template's QEMU holds its write lock): say why
        if (volume.snapshot() && running.test(owner)) {
            throw new InvalidStateException("cannot start '" + spec.name() + "': its template " + owner
                    + " runs and writes its root image; shut " + owner + " down first (its changes reach '" + spec.name() + "' then)");
        }
    }

    /** The qube whose storage holds a root volume: the name of the directory above the volume's. */
    static String ownerOf(VolumeSpec volume) {
        Path parent = volume.source().getParent();
        return parent == null || parent.getFileName() == null ? volume.source().toString() : parent.getFileName().toString();
    }

    private static Optional<Path> bootFile(VolumeSpec volume, String name) {
        Path file = volume.source().resolve(name);
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) ? Optional.of(file) : Optional.empty();
    }

    /** Removes the domain's overlay, if it has one: what an AppVM wrote to its root goes with it. */
    void discard(String name) {
        try {
            Files.deleteIfExists(layout.directory(name).resolve(OVERLAY));
        } catch (IOException e) {
            throw new AdminException("cannot remove the root overlay of '" + name + "': " + e.getMessage(), e);
        }
    }

    /** Whether a root volume has storage on the host: a directory, with or without an image for this backend. */
    boolean exists(VolumeSpec volume) {
        return Files.isDirectory(volume.source(), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Replaces a halted root's content with {@code content}, taken over: a root image file, or a directory holding
     * {@value #IMAGE} and optionally {@value #KERNEL} and {@value #INITRAMFS}. What the volume held before goes.
     */
    void importContent(VolumeSpec volume, Path content) {
        Path source = volume.source();
        Path staging = source.resolveSibling(source.getFileName() + ".import");
        try {
            deleteTree(staging);
            if (Files.isDirectory(content, LinkOption.NOFOLLOW_LINKS)) {
                if (!Files.isRegularFile(content.resolve(IMAGE), LinkOption.NOFOLLOW_LINKS)) {
                    throw new InvalidValueException("root content", content.toString(), "a directory holding " + IMAGE
                            + " (and optionally " + KERNEL + " and " + INITRAMFS + "), or a root image file");
                }
                Files.createDirectories(staging.getParent());
                Files.move(content, staging);
                try (Stream<Path> files = Files.list(staging)) {
                    for (Path f : files.toList()) {
                        if (!List.of(IMAGE, KERNEL, INITRAMFS).contains(f.getFileName().toString())) {
                            deleteTree(f);
                        }
                    }
                }
            } else if (Files.isRegularFile(content, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(staging);
                Files.move(content, staging.resolve(IMAGE));
            } else {
                throw new InvalidValueException("root content", content.toString(), "a root image file or a directory holding " + IMAGE);
            }
            deleteTree(source);
            Files.move(staging, source, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new AdminException("cannot import the root " + source + ": " + e.getMessage(), e);
        }
    }

    /** Makes {@code to}, which has no storage yet, a copy of {@code from}'s image and boot files (sparse, reflinked where the file system can). */
    void copy(VolumeSpec from, VolumeSpec to) {
        Path target = to.source();
        Path partial = target.resolveSibling(target.getFileName() + ".part");
        try {
            deleteTree(partial);
            Files.createDirectories(partial);
            for (String name : List.of(IMAGE, KERNEL, INITRAMFS)) {
                Path file = from.source().resolve(name);
                if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    commands.runOrThrow(HostCommand.of(commandTimeout, "cp", "--reflink=auto", "--sparse=always", file.toString(),
                            partial.resolve(name).toString()));
                }
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new AdminException("cannot copy the root " + from.source() + " to " + target + ": " + e.getMessage(), e);
        } finally {
            try {
                deleteTree(partial);
            } catch (IOException e) {
                // the failure above is the one worth reporting
            }
        }
    }

    /** Bytes of the root's files (their length: a sparse image may take less on the host). */
    long usage(VolumeSpec volume) {
        long bytes = 0;
        for (String name : List.of(IMAGE, KERNEL, INITRAMFS)) {
            Path file = volume.source().resolve(name);
            try {
                if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    bytes += Files.size(file);
                }
            } catch (IOException e) {
                throw new AdminException("cannot read the size of " + file + ": " + e.getMessage(), e);
            }
        }
        return bytes;
    }

    private static void deleteTree(Path tree) throws IOException {
        if (!Files.exists(tree, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(tree)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
