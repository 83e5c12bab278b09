package dev.bulkhead.backend.qemu.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.bulkhead.api.hypervisor.DomainSpec;

/**
 * The command line of a domain's QEMU: a sandboxed {@code qemu-system-x86_64} booting the guest kernel and
 * initramfs directly, with no devices but the serial console (written to the console log), the QMP monitor and the
 * guest agent's virtio-serial port (both unix sockets QEMU listens on), and the private volume as a virtio disk. The
 * virtio-serial controller takes the channels' ports too, added while the guest runs ({@link ChannelPorts}).
 */
final class QemuCommandLine {
    /**
     * QEMU's seccomp filter: besides the calls it always refuses, no obsolete calls, no fork or exec, no change
     * of scheduling or resource limits. Changing user stays allowed, for {@code -runas}: once QEMU is that user
     * it has no privilege to change back.
     */
    static final String SANDBOX = "on,obsolete=deny,spawn=deny,resourcecontrol=deny";
    /**
     * Each qube's QEMU drops to a user and group of its own, this plus the qube's qid, with no name or home on
     * the host, once it has opened its files, sockets and devices as root: one QEMU taken over by its guest can
     * touch neither another qube's QEMU nor anything of the host's that root alone may.
     */
    static final long GUEST_UID_BASE = 2_100_000_000L;
    /** The virtio-serial controller's id; its bus, {@value #SERIAL_BUS}, holds the guest agent's port and the channels'. */
    static final String SERIAL_CONTROLLER = "virtio-serial0";
    static final String SERIAL_BUS = SERIAL_CONTROLLER + ".0";
    /** On the kernel command line of a domain with a root disk: its init makes that disk {@code /}. */
    static final String ROOT_OPTION = "bulkhead.root=1";
    /** The PCI slot of the root disk: the last of the bus, away from the devices QEMU numbers from the first free one. */
    static final String ROOT_SLOT = "0x1f";
    /** The id of a qube's virtio-mem device (memory beyond {@code memory}, up to {@code maxmem}): {@link MemoryBalancer}. */
    static final String MEMORY_DEVICE = "vmem0";
    /** The id of the virtio balloon that only reports the guest's memory statistics (never inflated). */
    static final String STATS_DEVICE = "balloon0";
    /** The virtio-mem device's block: every size it plugs is a multiple of it (QEMU's default on x86, a huge page). */
    static final long MEMORY_BLOCK = 2L * 1024 * 1024;
    /**
     * On the kernel command line of a guest with a memory device: hot-plugged memory is onlined at once, into the
     * movable zone (the kernel's auto-movable policy, as long as movable memory stays within three times the rest), which
     * holds no kernel allocations, so that it can be unplugged again. No bounce buffers: the device's memory lies above
     * 4 GiB, for which the kernel would otherwise set aside 64 MiB of {@code memory} (swiotlb) that no virtio device uses.
     */
    static final String HOTPLUG_OPTIONS = "memhp_default_state=online memory_hotplug.online_policy=auto-movable swiotlb=noforce";

    private QemuCommandLine() {
    }

    /**
     * @param kvm         whether to run the guest with KVM rather than TCG
     * @param privateDisk the private volume's disk, if the domain has one
     */
    static List<String> of(QemuSettings settings, boolean kvm, DomainLayout layout, DomainSpec spec,
            Optional<PrivateVolumes.Disk> privateDisk) {
        return of(settings, kvm, layout, spec, privateDisk, Optional.empty());
    }

    /**
     * @param rootDisk the template's root disk the domain boots on, with that template's kernel and initramfs when it
     *                 has its own; empty for the built-in image alone
     */
    static List<String> of(QemuSettings settings, boolean kvm, DomainLayout layout, DomainSpec spec,
            Optional<PrivateVolumes.Disk> privateDisk, Optional<QemuRootDisks.RootDisk> rootDisk) {
        String name = spec.name();
        List<String> argv = machine(settings, kvm, spec);
        argv.addAll(List.of(
                "-kernel", rootDisk.flatMap(QemuRootDisks.RootDisk::kernel).orElse(settings.kernel()).toString(),
                "-initrd", rootDisk.flatMap(QemuRootDisks.RootDisk::initramfs).orElse(settings.initramfs()).toString(),
                "-append", kernelCommandLine(spec, privateDisk.isPresent()) + (rootDisk.isPresent() ? " " + ROOT_OPTION : "")));
        argv.addAll(consoleAndMonitor(layout, name));
        argv.addAll(List.of(
                "-chardev", "socket,id=agent,path=" + option(layout.agentSocket(name)) + ",server=on,wait=off",
                "-device", "virtio-serial-pci,id=" + SERIAL_CONTROLLER,
                "-device", "virtserialport,chardev=agent,name=org.qemu.guest_agent.0",
                // its one network card: QEMU opens the tap, in the domain's own namespace, before it drops to its user
                "-netdev", "tap,id=net0,ifname=" + QemuNetwork.TAP + ",script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=net0,mac=" + QemuNetwork.mac(spec.qid())));
        privateDisk.ifPresent(d -> argv.addAll(List.of("-drive", "file=" + option(d.image()) + ",if=virtio,format=raw"
                + ",cache=writeback,discard=unmap" + (d.snapshot() ? ",snapshot=on" : ""))));
        rootDisk.ifPresent(r -> argv.addAll(rootDrive(r)));
        argv.addAll(memoryHotplug(spec));
        // No -daemonize: it needs setsid, which the sandbox refuses; the backend starts QEMU in a session of its own.
        argv.addAll(confinement(layout, spec));
        return argv;
    }

    /**
     * The command line of a domain with {@code virt_mode=hvm}: an operating system of its own that QEMU's firmware
     * (SeaBIOS) boots from its disk, or else from its installer ISO, both on IDE, which every system can read. No
     * kernel of ours, no guest agent port, no virtio-serial controller (no channels), no private volume; a standard
     * VGA card that no display shows, and an e1000 card on the same tap and address as other domains'. The serial
     * console goes to the console log, as for every domain, and the sandbox and the user of its own are the same.
     */
    static List<String> hvm(QemuSettings settings, boolean kvm, DomainLayout layout, DomainSpec spec, BootImageStore.Boot boot) {
        String name = spec.name();
        List<String> argv = machine(settings, kvm, spec);
        argv.addAll(List.of("-vga", "std"));
        argv.addAll(consoleAndMonitor(layout, name));
        argv.addAll(List.of(
                "-drive", "file=" + option(boot.disk()) + ",if=ide,index=0,media=disk,format=" + boot.diskFormat().qemuFormat
                        + ",cache=writeback"));
        boot.iso().ifPresent(iso -> argv.addAll(List.of(
                "-drive", "file=" + option(iso) + ",if=ide,index=2,media=cdrom,readonly=on,format=raw")));
        argv.addAll(List.of("-boot", boot.iso().isPresent() ? "order=cd" : "order=c",
                "-netdev", "tap,id=net0,ifname=" + QemuNetwork.TAP + ",script=no,downscript=no",
                "-device", "e1000,netdev=net0,mac=" + QemuNetwork.mac(spec.qid())));
        argv.addAll(confinement(layout, spec));
        return argv;
    }

    /**
     * The root disk in the last PCI slot, after the private volume's (QEMU adds an {@code if=virtio} drive's device after
     * every {@code -device}), so that the private volume stays the guest's first virtio disk; the guest's init finds the
     * root by its serial. Its cache is QEMU's default (writeback), flushed when the guest asks.
     */
    static List<String> rootDrive(QemuRootDisks.RootDisk root) {
        return List.of("-drive", "file=" + option(root.image()) + ",if=none,id=root,format=" + root.format() + ",discard=unmap",
                "-device", "virtio-blk-pci,drive=root,serial=" + QemuRootDisks.SERIAL + ",addr=" + ROOT_SLOT);
    }

    /**
     * How much memory a domain's device may plug beyond its {@code memory}: {@code maxmem - memory} in whole blocks, 0
     * when {@code maxmem} is not above {@code memory} or the domain boots through the firmware ({@code virt_mode=hvm},
     * whose system may have no virtio-mem driver).
     */
    static long hotplugBytes(DomainSpec spec) {
        long extra = ((long) spec.maxmemMiB() - spec.memoryMiB()) * 1024 * 1024;
        return spec.hvm() || extra < MEMORY_BLOCK ? 0 : extra / MEMORY_BLOCK * MEMORY_BLOCK;
    }

    /**
     * Memory up to {@code maxmem}: a second {@code -m} (QEMU merges it into the first) sets the most the machine may
     * have, a RAM backend of {@code maxmem - memory} that QEMU does not preallocate (the host pays only for what is
     * plugged) and a virtio-mem device on it asked for nothing at first, which {@link MemoryBalancer} then grows and
     * shrinks; and a virtio balloon for the guest's memory statistics, never inflated. None for a domain without
     * {@link #hotplugBytes}.
     */
    static List<String> memoryHotplug(DomainSpec spec) {
        long plug = hotplugBytes(spec);
        if (plug == 0) {
            return List.of();
        }
        long plugMiB = plug / (1024 * 1024);
        return List.of("-m", "maxmem=" + (spec.memoryMiB() + plugMiB) + "M",
                "-object", "memory-backend-ram,id=hotplug-memory,size=" + plugMiB + "M,prealloc=off",
                "-device", "virtio-mem-pci,id=" + MEMORY_DEVICE + ",memdev=hotplug-memory,block-size=" + MEMORY_BLOCK / 1024 / 1024
                        + "M,requested-size=0",
                "-device", "virtio-balloon-pci,id=" + STATS_DEVICE + ",deflate-on-oom=off,free-page-reporting=off");
    }

    /** What every domain's QEMU starts with: its names, machine, processor, memory and no device of QEMU's own choosing. */
    private static List<String> machine(QemuSettings settings, boolean kvm, DomainSpec spec) {
        String name = spec.name();
        return new ArrayList<>(List.of(settings.qemu(),
                "-name", "guest=" + name + ",process=bulkhead-qemu:" + name,
                "-machine", "pc,accel=" + (kvm ? "kvm" : "tcg"),
                "-cpu", kvm ? "host" : "max",
                "-m", spec.memoryMiB() + "M",
                "-smp", Integer.toString(spec.vcpus()),
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"));
    }

    /** The serial console into the console log, and the QMP monitor's socket. */
    private static List<String> consoleAndMonitor(DomainLayout layout, String name) {
        return List.of(
                "-chardev", "file,id=console,path=" + option(layout.consoleLog(name)),
                "-serial", "chardev:console",
                "-chardev", "socket,id=qmp,path=" + option(layout.qmpSocket(name)) + ",server=on,wait=off",
                "-mon", "chardev=qmp,mode=control");
    }

    /** Last: the seccomp sandbox, the user of the domain's own it drops to once its files are open, and its pid file. */
    private static List<String> confinement(DomainLayout layout, DomainSpec spec) {
        long uid = GUEST_UID_BASE + spec.qid();
        return List.of("-sandbox", SANDBOX, "-runas", uid + ":" + uid, "-pidfile", layout.pidFile(spec.name()).toString());
    }

    /** A path as a value in QEMU's comma-separated options, where a comma is written twice. */
    static String option(Path path) {
        return path.toString().replace(",", ",,");
    }

    /**
     * The serial console, no reboot on panic (QEMU then exits), the qube's name, forwarding for a network provider (as
     * lite's sysctl), how hot-plugged memory is onlined where the qube has a memory device, and its own kernelopts last.
     */
    static String kernelCommandLine(DomainSpec spec, boolean privateDisk) {
        String line = "console=ttyS0 quiet panic=-1 bulkhead.name=" + spec.name() + (privateDisk ? " bulkhead.private=1" : "")
                + (spec.networkProvider() ? " sysctl.net.ipv4.ip_forward=1" : "")
                + (hotplugBytes(spec) > 0 ? " " + HOTPLUG_OPTIONS : "");
        return spec.kernelopts().isBlank() ? line : line + " " + spec.kernelopts().strip();
    }
}
