package dev.bulkhead.backend.xen.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.backend.xen.internal.XenDomain.Disk;
import dev.bulkhead.backend.xen.internal.XenDomain.DiskFormat;
import dev.bulkhead.backend.xen.internal.XenDomain.KernelBoot;
import dev.bulkhead.backend.xen.internal.XenDomain.Mode;
import dev.bulkhead.backend.xen.internal.XenDomain.Vif;

/**
 * What a qube's {@link DomainSpec} becomes as a Xen domain. Disks follow Qubes' order: {@code root} as {@code xvda},
 * {@code private} as {@code xvdb}, {@code volatile} as {@code xvdc}; the {@code kernel} volume is not given (the
 * kernel comes from the kernel directory).
 * <ul>
 * <li>A volume kept across starts (a template's or standalone's root, every private volume) is its storage's raw
 * image, {@value #ROOT_IMAGE} or {@value #PRIVATE_IMAGE}, given writable (read-only if the spec says so).</li>
 * <li>A snapshot volume (an AppVM's or disposable's root over its template's, a disposable's private volume) is a
 * qcow2 overlay in the domain's own directory whose backing file is the origin's image: the domain writes only into the
 * overlay, which is made afresh before each start, and the origin's image is read only, as the overlay's backing
 * file.</li>
 * <li>A volatile volume is a raw image in the domain's directory, made empty before each start.</li>
 * </ul>
 * virt_mode {@code pvh} (the platform's own boot, with its agent) is Xen's PVH, or PV where the settings ask for it;
 * {@code hvm} is Xen's HVM booting the root storage's {@value #ROOT_IMAGE}, after {@value #BOOT_ISO} (a CD-ROM) when
 * it has one.
 */
final class XenDomains {
    static final String ROOT_IMAGE = "root.img";
    static final String PRIVATE_IMAGE = "private.img";
    static final String BOOT_ISO = "boot.iso";
    static final String KERNEL = "vmlinuz";
    static final String INITRAMFS = "initrd.img";
    /** The MAC prefix of Qubes' vifs: Xen's OUI 00:16:3e, then 5e, then the qid's two bytes. */
    private static final String MAC_PREFIX = "00:16:3e:5e:";

    private final Path domains;
    private final Path kernelDirectory;
    private final Mode paravirt;

    /**
     * @param domains         the directory holding one directory per domain (overlays, volatile images)
     * @param kernelDirectory where {@value #KERNEL} and {@value #INITRAMFS} of PV and PVH domains are
     * @param paravirt        what virt_mode {@code pvh} becomes: {@link Mode#PVH} or {@link Mode#PV}
     */
    XenDomains(Path domains, Path kernelDirectory, Mode paravirt) {
        if (paravirt == Mode.HVM) {
            throw new IllegalArgumentException("paravirt mode: pv or pvh");
        }
        this.domains = domains;
        this.kernelDirectory = kernelDirectory;
        this.paravirt = paravirt;
    }

    /** The directories under which every file of a domain lies. */
    List<Path> fileRoots(Path volumeRoot) {
        return List.of(domains, kernelDirectory, volumeRoot);
    }

    Path directory(String name) {
        return domains.resolve(DomainValues.name("name", name));
    }

    /**
     * The domain of a spec, with an interface for each link whose client it is.
     *
     * @param bootIso whether an HVM domain's root storage holds {@value #BOOT_ISO}, which it then boots first
     */
    XenDomain of(DomainSpec spec, List<LinkSpec> links, boolean bootIso) {
        String name = DomainValues.name("name", spec.name());
        Mode mode = spec.hvm() ? Mode.HVM : paravirt;
        // As Qubes: maxmem 0 is no ballooning.
        long maxmem = spec.maxmemMiB() == 0 ? spec.memoryMiB() : spec.maxmemMiB();
        List<Disk> disks = new ArrayList<>();
        Optional<VolumeSpec> root = spec.volume(VolumeSpec.ROOT);
        root.ifPresent(v -> disks.add(disk(name, v, ROOT_IMAGE, "xvda")));
        spec.volume(VolumeSpec.PRIVATE).ifPresent(v -> disks.add(disk(name, v, PRIVATE_IMAGE, "xvdb")));
        spec.volume(VolumeSpec.VOLATILE).ifPresent(v -> disks.add(disk(name, v, "volatile.img", "xvdc")));
        Optional<KernelBoot> boot = Optional.empty();
        if (mode == Mode.HVM) {
            VolumeSpec r = root.orElseThrow(() -> new InvalidValueException("virt_mode", "hvm",
                    "'" + name + "' needs a root volume holding the image to boot"));
            if (bootIso) {
                disks.add(new Disk(VolumeSpec.ROOT, r.source().resolve(BOOT_ISO), DiskFormat.RAW, "hdc", true, true));
            }
        } else {
            String cmdline = "console=hvc0" + (root.isPresent() ? " root=/dev/xvda rw" : "")
                    + (spec.kernelopts().isBlank() ? "" : " " + spec.kernelopts());
            boot = Optional.of(new KernelBoot(kernelDirectory.resolve(KERNEL), Optional.of(kernelDirectory.resolve(INITRAMFS)),
                    cmdline));
        }
        List<Vif> vifs = links.stream().filter(l -> l.client().equals(name)).map(XenDomains::vif).toList();
        return new XenDomain(name, Optional.of(uuid(name)), mode, spec.memoryMiB(), maxmem, spec.vcpus(), boot, disks, vifs);
    }

    /** The interface of a link's client: its address, with the netvm as the backend. */
    static Vif vif(LinkSpec link) {
        int qid = link.clientQid();
        if (qid < 1 || qid > 0xffff) {
            throw new InvalidValueException("qid", Integer.toString(qid), "from 1 to 65535");
        }
        String mac = MAC_PREFIX + String.format("%02x:%02x", qid >> 8, qid & 0xff);
        return new Vif(mac, link.clientAddress() == null ? "" : link.clientAddress(), link.netvm());
    }

    /** The same UUID for a name on every start, so that libvirt's record of a domain is the qube's. */
    static UUID uuid(String name) {
        return UUID.nameUUIDFromBytes(("bulkhead-xen:" + name).getBytes(StandardCharsets.UTF_8));
    }

    private Disk disk(String name, VolumeSpec v, String image, String target) {
        if (v.snapshot()) {
            Path overlay = directory(name).resolve(v.name() + ".qcow2");
            return new Disk(v.name(), overlay, DiskFormat.QCOW2, target, v.readOnly(), false);
        }
        if (v.isVolatile()) {
            return new Disk(v.name(), directory(name).resolve(image), DiskFormat.RAW, target, v.readOnly(), false);
        }
        return new Disk(v.name(), v.source().resolve(image), DiskFormat.RAW, target, v.readOnly(), false);
    }

    /** The image a snapshot volume's overlay is backed by: its origin's raw image. */
    static Path origin(VolumeSpec snapshot) {
        return snapshot.source().resolve(VolumeSpec.ROOT.equals(snapshot.name()) ? ROOT_IMAGE : PRIVATE_IMAGE);
    }
}
