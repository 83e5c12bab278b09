package dev.bulkhead.backend.xen.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * One Xen domain as libvirt's libxl driver is to define it: what {@link DomainXml} writes, with no decision left. The
 * values are not trusted here: {@link DomainXml} checks every one before it writes it.
 *
 * @param name       the qube's name, which is the domain's
 * @param uuid       the domain's UUID, when it has one (libvirt makes one otherwise)
 * @param mode       how Xen runs it
 * @param memoryMiB  the memory it starts with ({@code currentMemory})
 * @param maxmemMiB  the most it may balloon up to ({@code memory}); equal to {@code memoryMiB} for no ballooning
 * @param vcpus      virtual processors
 * @param boot       the kernel, initramfs and command line of a PV or PVH domain; empty for HVM
 * @param disks      in the order the domain sees them
 * @param interfaces network interfaces, each with the domain that serves its backend
 */
record XenDomain(String name, Optional<UUID> uuid, Mode mode, long memoryMiB, long maxmemMiB, int vcpus,
        Optional<KernelBoot> boot, List<Disk> disks, List<Vif> interfaces) {

    /** Xen's kinds of guest, as Qubes' {@code virt_mode}. */
    enum Mode {
        /** Paravirtualised: no emulated hardware, the kernel booted by the toolstack. */
        PV,
        /** PV in an HVM container: the kernel booted by the toolstack, no device model. */
        PVH,
        /** Fully virtualised: firmware (hvmloader) boots from the disks, a device model in dom0. */
        HVM
    }

    /** A kernel the toolstack loads, with its initramfs and command line. */
    record KernelBoot(Path kernel, Optional<Path> initramfs, String cmdline) {
        KernelBoot {
            Objects.requireNonNull(kernel, "kernel");
            Objects.requireNonNull(initramfs, "initramfs");
            cmdline = cmdline == null ? "" : cmdline;
        }
    }

    /** How a disk's file is read. */
    enum DiskFormat {
        RAW("raw"), QCOW2("qcow2");

        final String driverType;

        DiskFormat(String driverType) {
            this.driverType = driverType;
        }
    }

    /**
     * A file the domain sees as a block device.
     *
     * @param volume   the volume it is ({@code root}, {@code private}, ...), for messages
     * @param source   the file, on the host that runs the domain
     * @param format   its format
     * @param target   the device the domain sees ({@code xvda}...)
     * @param readOnly given to the domain read-only
     * @param cdrom    a CD-ROM (HVM only), always read-only
     */
    record Disk(String volume, Path source, DiskFormat format, String target, boolean readOnly, boolean cdrom) {
        Disk {
            Objects.requireNonNull(volume, "volume");
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(target, "target");
        }
    }

    /**
     * A network interface whose backend runs in {@code backendDomain} (the qube's netvm), as Qubes makes its vifs.
     *
     * @param mac           the domain's MAC address
     * @param address       the IPv4 address the domain has on it
     * @param backendDomain the domain serving it, {@code null} for dom0
     */
    record Vif(String mac, String address, String backendDomain) {
        Vif {
            Objects.requireNonNull(mac, "mac");
            Objects.requireNonNull(address, "address");
        }
    }

    XenDomain {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(boot, "boot");
        disks = List.copyOf(disks);
        interfaces = List.copyOf(interfaces);
    }
}
