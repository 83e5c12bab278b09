package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.hypervisor.DomainSpec;

/** The QEMU command line a spec makes; QemuBackendSystemTest boots it for real (memory, vcpus, kernelopts). */
class QemuCommandLineTest {
    private static final QemuSettings SETTINGS = new QemuSettings("/usr/bin/qemu-system-x86_64", Path.of("/images/qemu"),
            QemuSettings.Accelerator.AUTO, Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(10));
    private static final DomainLayout LAYOUT = new DomainLayout(Path.of("/var/lib/bh,data"));

    /** With maxmem = memory: no memory device (memoryUpToMaxmemIsAVirtioMemDevice...). */
    private static DomainSpec spec(String kernelopts) {
        return new DomainSpec("work", 5, QubeClass.AppVM, 400, 400, 2, kernelopts, false, List.of());
    }

    private static String after(List<String> argv, String option) {
        return argv.get(argv.indexOf(option) + 1);
    }

    @Test
    void memoryVcpusAcceleratorAndImageComeFromTheSpecAndSettings() {
        List<String> kvm = QemuCommandLine.of(SETTINGS, true, LAYOUT, spec(""), Optional.empty());
        assertEquals("/usr/bin/qemu-system-x86_64", kvm.get(0));
        assertEquals("400M", after(kvm, "-m"));
        assertEquals("2", after(kvm, "-smp"));
        assertEquals("pc,accel=kvm", after(kvm, "-machine"));
        assertEquals("/images/qemu/vmlinuz", after(kvm, "-kernel"));
        assertEquals("/images/qemu/initrd.img", after(kvm, "-initrd"));
        assertEquals("/var/lib/bh,data/qemu/domains/work/qemu.pid", after(kvm, "-pidfile"));
        assertTrue(kvm.contains("-nodefaults") && !kvm.contains("-daemonize"));
        assertEquals(QemuCommandLine.SANDBOX, kvm.get(kvm.indexOf("-sandbox") + 1));
        assertEquals("pc,accel=tcg", after(QemuCommandLine.of(SETTINGS, false, LAYOUT, spec(""), Optional.empty()), "-machine"));
    }

    @Test
    void socketsAndLogsAreInTheDomainsDirectoryWithCommasDoubled() {
        List<String> argv = QemuCommandLine.of(SETTINGS, false, LAYOUT, spec(""), Optional.empty());
        assertTrue(argv.contains("file,id=console,path=/var/lib/bh,,data/qemu/domains/work/console.log"), argv.toString());
        assertTrue(argv.contains("socket,id=qmp,path=/var/lib/bh,,data/qemu/domains/work/qmp.sock,server=on,wait=off"));
        assertTrue(argv.contains("socket,id=agent,path=/var/lib/bh,,data/qemu/domains/work/qga.sock,server=on,wait=off"));
        assertTrue(argv.contains("virtserialport,chardev=agent,name=org.qemu.guest_agent.0"));
        assertTrue(argv.contains("virtio-serial-pci,id=" + QemuCommandLine.SERIAL_CONTROLLER),
                "the controller the channels' ports are added to has the id their bus is named after: " + argv);
    }

    @Test
    void kernelOptionsComeLastAndThePrivateDiskIsAVirtioDrive() {
        List<String> argv = QemuCommandLine.of(SETTINGS, false, LAYOUT, spec(" nosmt  "),
                Optional.of(new PrivateVolumes.Disk(Path.of("/v/private.img"), false)));
        assertEquals("console=ttyS0 quiet panic=-1 bulkhead.name=work bulkhead.private=1 nosmt", after(argv, "-append"));
        assertEquals("file=/v/private.img,if=virtio,format=raw,cache=writeback,discard=unmap", after(argv, "-drive"));

        List<String> snapshot = QemuCommandLine.of(SETTINGS, false, LAYOUT, spec(""),
                Optional.of(new PrivateVolumes.Disk(Path.of("/v/private.img"), true)));
        assertTrue(after(snapshot, "-drive").endsWith(",snapshot=on"));
        assertFalse(QemuCommandLine.of(SETTINGS, false, LAYOUT, spec(""), Optional.empty()).contains("-drive"));
        assertEquals("console=ttyS0 quiet panic=-1 bulkhead.name=work",
                after(QemuCommandLine.of(SETTINGS, false, LAYOUT, spec(""), Optional.empty()), "-append"));
    }

    @Test
    void itsOneCardIsTheTapInItsNamespaceWithTheQidsAddressAndNoScripts() {
        List<String> argv = QemuCommandLine.of(SETTINGS, false, LAYOUT, spec(""), Optional.empty());
        assertEquals("tap,id=net0,ifname=" + QemuNetwork.TAP + ",script=no,downscript=no", after(argv, "-netdev"));
        assertEquals("virtio-net-pci,netdev=net0,mac=02:62:71:00:00:05", argv.get(argv.indexOf("-netdev") + 3));
        assertEquals(1, argv.stream().filter("-netdev"::equals).count(), "no other network: " + argv);
        assertFalse(argv.stream().anyMatch(a -> a.startsWith("user") || a.contains("bridge")), "no user-mode network: " + argv);
        assertTrue(argv.indexOf("-netdev") < argv.indexOf("-runas"), "the tap is opened before QEMU drops to its user");
        assertFalse(after(argv, "-append").contains("ip_forward"), "a client forwards nothing");
        DomainSpec netvm = new DomainSpec("sys-net", 2, QubeClass.AppVM, 400, 4000, 1, "", true, List.of());
        assertTrue(after(QemuCommandLine.of(SETTINGS, false, LAYOUT, netvm, Optional.empty()), "-append")
                .contains(" sysctl.net.ipv4.ip_forward=1"), "a network provider forwards, as lite's sysctl");
        assertEquals("virtio-net-pci,netdev=net0,mac=02:62:71:00:00:02",
                QemuCommandLine.of(SETTINGS, false, LAYOUT, netvm, Optional.empty()).get(argv.indexOf("-netdev") + 3));
    }

    @Test
    void anHvmDomainBootsItsDiskOrInstallerThroughTheFirmwareWithNoKernelAgentOrVirtio() {
        DomainSpec hvm = new DomainSpec("other", 6, QubeClass.StandaloneVM, 512, 512, 1, "", false, List.of(), DomainSpec.HVM);
        BootImageStore.Boot installer = new BootImageStore.Boot(Path.of("/q/root/disk.img"), BootImageStore.Format.RAW,
                Optional.of(Path.of("/q/root/boot.iso")));
        List<String> argv = QemuCommandLine.hvm(SETTINGS, false, LAYOUT, hvm, installer);
        assertFalse(argv.contains("-kernel") || argv.contains("-initrd") || argv.contains("-append"), "the firmware boots it: " + argv);
        assertFalse(argv.stream().anyMatch(a -> a.contains("virtio") || a.contains("agent")), "no agent, no virtio: " + argv);
        assertEquals("512M", after(argv, "-m"));
        assertEquals("file=/q/root/disk.img,if=ide,index=0,media=disk,format=raw,cache=writeback", argv.get(argv.indexOf("-drive") + 1));
        assertTrue(argv.contains("file=/q/root/boot.iso,if=ide,index=2,media=cdrom,readonly=on,format=raw"), argv.toString());
        assertEquals("order=cd", after(argv, "-boot"), "its disk once installed, else the installer");
        assertEquals("chardev:console", after(argv, "-serial"));
        assertEquals("e1000,netdev=net0,mac=02:62:71:00:00:06", argv.get(argv.indexOf("-netdev") + 3));
        assertEquals(QemuCommandLine.SANDBOX, after(argv, "-sandbox"));
        assertEquals("2100000006:2100000006", after(argv, "-runas"));

        List<String> disk = QemuCommandLine.hvm(SETTINGS, false, LAYOUT, hvm,
                new BootImageStore.Boot(Path.of("/q/root/disk.img"), BootImageStore.Format.QCOW2, Optional.empty()));
        assertEquals("order=c", after(disk, "-boot"));
        assertEquals(1, disk.stream().filter("-drive"::equals).count());
        assertTrue(after(disk, "-drive").contains(",format=qcow2"), "never left to QEMU to guess: " + disk);
    }

    @Test
    void aRootDiskFollowsThePrivateDiskWithItsSerialAndItsTemplatesKernelBoots() {
        QemuRootDisks.RootDisk overlay = new QemuRootDisks.RootDisk(Path.of("/d/work/root.qcow2"), "qcow2",
                Optional.of(Path.of("/q/debian/root/vmlinuz")), Optional.of(Path.of("/q/debian/root/initrd.img")));
        List<String> argv = QemuCommandLine.of(SETTINGS, false, LAYOUT, spec(""),
                Optional.of(new PrivateVolumes.Disk(Path.of("/v/private.img"), false)), Optional.of(overlay));
        assertEquals("/q/debian/root/vmlinuz", after(argv, "-kernel"));
        assertEquals("/q/debian/root/initrd.img", after(argv, "-initrd"));
        assertTrue(after(argv, "-append").endsWith(" " + QemuCommandLine.ROOT_OPTION), after(argv, "-append"));
        int privateDrive = argv.indexOf("file=/v/private.img,if=virtio,format=raw,cache=writeback,discard=unmap");
        int rootDrive = argv.indexOf("file=/d/work/root.qcow2,if=none,id=root,format=qcow2,discard=unmap");
        assertTrue(privateDrive > 0 && rootDrive > privateDrive, "the private volume stays the first virtio disk: " + argv);
        assertEquals("virtio-blk-pci,drive=root,serial=" + QemuRootDisks.SERIAL + ",addr=0x1f", argv.get(rootDrive + 2),
                "in the last slot: QEMU puts the private drive's device after every -device, and the guest names disks in slot order");
        assertTrue(rootDrive < argv.indexOf("-runas"), "the disk is opened before QEMU drops to its user");

        QemuRootDisks.RootDisk own = new QemuRootDisks.RootDisk(Path.of("/q/tpl,1/root/root.img"), "raw", Optional.empty(), Optional.empty());
        List<String> template = QemuCommandLine.of(SETTINGS, false, LAYOUT, spec(""), Optional.empty(), Optional.of(own));
        assertEquals("/images/qemu/vmlinuz", after(template, "-kernel"), "without boot files of its own, the built-in kernel");
        assertEquals("file=/q/tpl,,1/root/root.img,if=none,id=root,format=raw,discard=unmap", after(template, "-drive"));
        assertFalse(after(QemuCommandLine.of(SETTINGS, false, LAYOUT, spec(""), Optional.empty()), "-append")
                .contains(QemuCommandLine.ROOT_OPTION), "the built-in image alone has no root disk");
    }

    @Test
    void memoryUpToMaxmemIsAVirtioMemDeviceOfTheDifferenceAskedForNothingWithABalloonForStatisticsOnly() {
        DomainSpec spec = new DomainSpec("work", 5, QubeClass.AppVM, 400, 4000, 2, "nosmt", false, List.of());
        List<String> argv = QemuCommandLine.of(SETTINGS, false, LAYOUT, spec, Optional.empty());
        assertEquals("400M", after(argv, "-m"), "the guest boots with memory");
        int second = argv.lastIndexOf("-m");
        assertTrue(second > argv.indexOf("-m"), "a second -m, which QEMU merges into the first");
        assertEquals("maxmem=4000M", argv.get(second + 1));
        assertEquals("memory-backend-ram,id=hotplug-memory,size=3600M,prealloc=off", after(argv, "-object"));
        assertTrue(argv.contains("virtio-mem-pci,id=vmem0,memdev=hotplug-memory,block-size=2M,requested-size=0"), argv.toString());
        assertTrue(argv.contains("virtio-balloon-pci,id=balloon0,deflate-on-oom=off,free-page-reporting=off"), argv.toString());
        assertTrue(argv.indexOf("-object") < argv.indexOf("-sandbox"), "the memory is there before QEMU drops to its user");
        assertEquals("console=ttyS0 quiet panic=-1 bulkhead.name=work " + QemuCommandLine.HOTPLUG_OPTIONS + " nosmt", after(argv, "-append"),
                "hot-plugged memory is onlined movable; kernelopts still come last");
        assertEquals(3600L << 20, QemuCommandLine.hotplugBytes(spec));
    }

    @Test
    void noMemoryDeviceWithoutRoomAboveMemoryNorForAnHvmDomain() {
        for (int maxmem : new int[] { 0, 300, 400, 401 }) {
            DomainSpec spec = new DomainSpec("work", 5, QubeClass.AppVM, 400, maxmem, 2, "", false, List.of());
            List<String> argv = QemuCommandLine.of(SETTINGS, false, LAYOUT, spec, Optional.empty());
            assertEquals(1, argv.stream().filter("-m"::equals).count(), "maxmem " + maxmem + ": " + argv);
            assertFalse(String.join(" ", argv).contains("virtio-mem") || String.join(" ", argv).contains("balloon"), argv.toString());
            assertFalse(after(argv, "-append").contains("memhp"), after(argv, "-append"));
        }
        assertEquals(2L << 20, QemuCommandLine.hotplugBytes(new DomainSpec("w", 5, QubeClass.AppVM, 400, 403, 1, "", false, List.of())),
                "whole blocks of 2 MiB");
        DomainSpec hvm = new DomainSpec("w", 5, QubeClass.StandaloneVM, 400, 4000, 1, "", false, List.of(), DomainSpec.HVM);
        assertEquals(0, QemuCommandLine.hotplugBytes(hvm));
    }
}
