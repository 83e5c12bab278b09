package dev.bulkhead.bench.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuFloorTest {
    /** A qube's QEMU command line as the qemu backend writes it, with a private volume and a template's root disk. */
    private static final List<String> QUBE = List.of("qemu-system-x86_64",
            "-name", "guest=bench-qstart,process=bulkhead-qemu:bench-qstart",
            "-machine", "pc,accel=tcg", "-cpu", "max", "-m", "400M", "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", "/opt/bh/images/qemu/vmlinuz", "-initrd", "/opt/bh/images/qemu/initrd.img",
            "-append", "console=ttyS0 quiet panic=-1 bulkhead.name=bench-qstart bulkhead.private=1 bulkhead.root=1",
            "-chardev", "file,id=console,path=/d/console.log", "-serial", "chardev:console",
            "-chardev", "socket,id=qmp,path=/d/qmp.sock,server=on,wait=off", "-mon", "chardev=qmp,mode=control",
            "-chardev", "socket,id=agent,path=/d/agent.sock,server=on,wait=off",
            "-device", "virtio-serial-pci,id=virtio-serial0",
            "-device", "virtserialport,chardev=agent,name=org.qemu.guest_agent.0",
            "-netdev", "tap,id=net0,ifname=tap0,script=no,downscript=no", "-device", "virtio-net-pci,netdev=net0,mac=52:54:00:00:00:07",
            "-drive", "file=/d/private.img,if=virtio,format=raw,cache=writeback,discard=unmap",
            "-sandbox", "on,obsolete=deny,spawn=deny,resourcecontrol=deny", "-runas", "2100000007:2100000007", "-pidfile", "/d/qemu.pid");

    @TempDir
    Path temp;

    @Test
    void theFloorBootsTheQubesKernelAndInitramfsWithItsAcceleratorMemoryAndAnAgentSocketAndNothingOfBulkhead() {
        List<String> floor = QemuFloor.commandLine(QUBE, Path.of("/tmp/b,x/agent.sock"));
        assertEquals(List.of("qemu-system-x86_64", "-name", "guest=bench-floor",
                "-machine", "pc,accel=tcg", "-cpu", "max", "-m", "400M", "-smp", "1",
                "-kernel", "/opt/bh/images/qemu/vmlinuz", "-initrd", "/opt/bh/images/qemu/initrd.img",
                "-append", "console=ttyS0 quiet panic=-1 bulkhead.name=bench-qstart",
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-chardev", "socket,id=agent,path=/tmp/b,,x/agent.sock,server=on,wait=off",
                "-device", "virtio-serial-pci",
                "-device", "virtserialport,chardev=agent,name=org.qemu.guest_agent.0"), floor);
        for (String bulkheads : List.of("-netdev", "-drive", "-sandbox", "-runas", "-pidfile", "-mon", "-serial")) {
            assertFalse(floor.contains(bulkheads), bulkheads);
        }
    }

    @Test
    void theAcceleratorIsReadFromTheMachineOption() {
        assertEquals("tcg", QemuFloor.accelerator(QUBE));
        assertEquals("kvm", QemuFloor.accelerator(List.of("qemu-system-x86_64", "-machine", "pc,accel=kvm")));
        assertEquals("unknown", QemuFloor.accelerator(List.of("qemu-system-x86_64")));
    }

    @Test
    void theQubesQemuIsFoundInProcByItsGuestNameOnly() throws Exception {
        write("1", List.of("/sbin/init"));
        write("20", List.of("qemu-system-x86_64", "-name", "guest=bench-qstart2,process=bulkhead-qemu:bench-qstart2"));
        write("31", QUBE);
        Files.createDirectories(temp.resolve("self"));
        assertEquals(Optional.of(QUBE), QemuFloor.qubeCommandLine(temp, "bench-qstart"));
        assertTrue(QemuFloor.qubeCommandLine(temp, "bench-other").isEmpty());
    }

    @Test
    void theSectionSaysWhyItIsLeftOut() {
        assertEquals("this installation has no qemu feature", QemuBench.skipReason("this installation has no qemu feature", true, true));
        assertTrue(QemuBench.skipReason("", false, true).startsWith("not asked for (--qemu)"));
        assertEquals("the qemu feature is not installed (feature:install qemu)", QemuBench.skipReason("", true, false));
        assertEquals("", QemuBench.skipReason("", true, true));
    }

    private void write(String pid, List<String> argv) throws Exception {
        Path dir = Files.createDirectories(temp.resolve(pid));
        Files.write(dir.resolve("cmdline"), (String.join("\0", argv) + "\0").getBytes(StandardCharsets.UTF_8));
    }
}
