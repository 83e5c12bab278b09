package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;

/**
 * Which running domains boot an operating system of their own ({@code virt_mode=hvm}): no Bulkhead agent answers in
 * them, so nothing runs in them through the backend (commands, channels, the network set-up of their guest, which
 * configures its own address). A start marks the domain in its state directory, so that a platform that restarts while
 * it runs knows it again.
 */
final class HvmDomains {
    static final String MARKER = "hvm";

    private final DomainLayout layout;
    private final BootImageStore images;

    HvmDomains(DomainLayout layout, BootImageStore images) {
        this.layout = layout;
        this.images = images;
    }

    /** QEMU's command line for the domain: its firmware boots the image in the storage of its root volume. */
    List<String> commandLine(QemuSettings settings, boolean kvm, DomainSpec spec) {
        VolumeSpec root = spec.volume(VolumeSpec.ROOT).orElseThrow(() -> new InvalidValueException("root volume of '"
                + spec.name() + "'", "none", "the volume that holds its boot image (virt_mode=hvm)"));
        return QemuCommandLine.hvm(settings, kvm, layout, spec, images.boot(spec.name(), root));
    }

    /** Records at start whether the domain boots an operating system of its own. */
    void mark(String name, boolean hvm) {
        Path marker = marker(name);
        try {
            if (hvm) {
                Files.writeString(marker, "virt_mode=hvm\n");
            } else {
                Files.deleteIfExists(marker);
            }
        } catch (IOException e) {
            throw new AdminException("cannot record the virt_mode of domain '" + name + "': " + e.getMessage(), e);
        }
    }

    boolean isHvm(String name) {
        return Files.exists(marker(name));
    }

    /** Refuses what needs the agent in a domain that has none. */
    void requireAgent(String name, String what) {
        if (isHvm(name)) {
            throw new InvalidStateException("cannot " + what + " in '" + name + "': it runs an operating system of its own"
                    + " (virt_mode=hvm) with no Bulkhead agent; its serial console is in qvm:log " + name);
        }
    }

    private Path marker(String name) {
        return layout.directory(name).resolve(MARKER);
    }
}
