package dev.bulkhead.backend.xen.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.volume.store.FileTrees;
import dev.bulkhead.volume.store.KeptVolumes;
import dev.bulkhead.volume.store.VolumeCommands;
import dev.bulkhead.volume.store.VolumeFiles;

/**
 * Makes the files a domain's disks are, on this host, before it starts ({@link XenDomains} says which): the image of
 * a kept private volume at its first start (an empty ext4, as the other backends make it) and its revision before each
 * start; a qcow2 overlay, afresh, for each snapshot volume, backed by its origin's image; an empty sparse file for the
 * volatile volume. A kept root must have its image already (a template's, installed). Only for a local dom0: with a
 * remote one the files are that host's.
 */
final class XenStorage {
    private final XenDomains domains;
    private final HostCommands commands;
    private final Duration timeout;
    private final KeptVolumes kept;

    XenStorage(XenDomains domains, HostCommands commands, Duration timeout) {
        this.domains = domains;
        this.commands = commands;
        this.timeout = timeout;
        this.kept = new KeptVolumes(new VolumeCommands(commands, timeout), Clock.systemUTC(), v -> false);
    }

    void prepare(DomainSpec spec) {
        Path directory = domains.directory(spec.name());
        VolumeFiles.createDirectories(directory);
        for (VolumeSpec v : spec.volumes()) {
            if (VolumeSpec.KERNEL.equals(v.name())) {
                continue;
            }
            if (v.snapshot()) {
                Path origin = XenDomains.origin(v);
                requireImage(spec, v, origin);
                Path overlay = directory.resolve(v.name() + ".qcow2");
                delete(overlay);
                commands.runOrThrow(HostCommand.of(timeout, "qemu-img", "create", "-q", "-f", "qcow2", "-b", origin.toString(),
                        "-F", "raw", overlay.toString()));
            } else if (v.isVolatile()) {
                Path image = directory.resolve("volatile.img");
                delete(image);
                VolumeCommands.setLength(image, v.sizeBytes());
            } else if (VolumeSpec.ROOT.equals(v.name())) {
                requireImage(spec, v, kept.current(v));
                kept.keepRevision(v);
            } else {
                kept.ensureImage(v);
                kept.keepRevision(v);
            }
        }
    }

    /** Removes the domain's directory: its overlays and volatile image, what it wrote there. */
    void discard(String name) {
        FileTrees.deleteQuietly(domains.directory(name));
    }

    private static void requireImage(DomainSpec spec, VolumeSpec v, Path image) {
        if (!Files.isRegularFile(image, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidValueException(v.name() + " of '" + spec.name() + "'", image.toString(),
                    "an existing raw image (a template installed for a VM backend)");
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new AdminException("cannot remove " + file + ": " + e.getMessage(), e);
        }
    }
}
