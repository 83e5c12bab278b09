package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;

/** Root disks on the host, with the real qemu-img: an AppVM's overlay over its template's image, a template's own image, imports and copies. */
class QemuRootDisksTest {
    @TempDir
    Path temp;
    /** The one domain whose QEMU runs, as the backend would see it. */
    private String runningTemplate = "";

    private QemuRootDisks disks() {
        return new QemuRootDisks(new DomainLayout(temp.resolve("data")), new ProcessHostCommands(), Duration.ofSeconds(30),
                name -> name.equals(runningTemplate));
    }

    private Path templateRoot(String template) throws IOException {
        Path root = Files.createDirectories(temp.resolve("data/qubes").resolve(template).resolve("root"));
        Files.write(root.resolve(QemuRootDisks.IMAGE), new byte[1 << 20]);
        return root;
    }

    private static DomainSpec spec(String name, VolumeSpec root) {
        return new DomainSpec(name, 7, QubeClass.AppVM, 256, 256, 1, "", false, List.of(root));
    }

    private static String run(String... argv) throws IOException {
        return new ProcessHostCommands().runOrThrow(HostCommand.of(Duration.ofSeconds(30), argv)).stdoutText();
    }

    @Test
    void anAppVmBootsAQcow2OverlayBackedReadOnlyByItsTemplatesImageAndTheOverlayGoesAtStop() throws IOException {
        Path root = templateRoot("debian");
        Files.writeString(root.resolve(QemuRootDisks.KERNEL), "kernel");
        Files.writeString(root.resolve(QemuRootDisks.INITRAMFS), "initramfs");
        Files.createDirectories(temp.resolve("data/qemu/domains/work"));
        QemuRootDisks disks = disks();

        QemuRootDisks.RootDisk disk = disks.prepare(spec("work", VolumeSpec.snapshotOf(VolumeSpec.ROOT, root, 10L << 30))).orElseThrow();
        Path overlay = temp.resolve("data/qemu/domains/work").resolve(QemuRootDisks.OVERLAY);
        assertEquals(overlay, disk.image());
        assertEquals("qcow2", disk.format());
        String info = run("qemu-img", "info", "--output=json", overlay.toString());
        assertTrue(info.contains("\"backing-filename\": \"" + root.resolve(QemuRootDisks.IMAGE) + "\""), info);
        assertTrue(info.contains("\"backing-filename-format\": \"raw\""), info);
        assertEquals(Optional.of(root.resolve(QemuRootDisks.KERNEL)), disk.kernel());
        assertEquals(Optional.of(root.resolve(QemuRootDisks.INITRAMFS)), disk.initramfs());

        // what a run wrote to its overlay is not there at the next start
        Files.writeString(overlay, "written by the last run");
        disks.prepare(spec("work", VolumeSpec.snapshotOf(VolumeSpec.ROOT, root, 10L << 30)));
        assertTrue(run("qemu-img", "info", overlay.toString()).contains("file format: qcow2"));
        disks.discard("work");
        assertFalse(Files.exists(overlay));
        assertEquals(1 << 20, Files.size(root.resolve(QemuRootDisks.IMAGE)), "the template's image is untouched");
    }

    @Test
    void anAppVmDoesNotStartWhileItsTemplateRunsAndWritesTheImage() throws IOException {
        Path root = templateRoot("debian");
        runningTemplate = "debian";
        InvalidStateException e = assertThrows(InvalidStateException.class,
                () -> disks().prepare(spec("work", VolumeSpec.snapshotOf(VolumeSpec.ROOT, root, 10L << 30))));
        assertTrue(e.getMessage().contains("its template debian runs"), e.getMessage());
        assertFalse(Files.exists(temp.resolve("data/qemu/domains/work").resolve(QemuRootDisks.OVERLAY)));
        runningTemplate = "";
        Files.createDirectories(temp.resolve("data/qemu/domains/work"));
        assertTrue(disks().prepare(spec("work", VolumeSpec.snapshotOf(VolumeSpec.ROOT, root, 10L << 30))).isPresent());
    }

    @Test
    void aTemplateBootsItsOwnImageWritableWithTheBuiltInKernelWhenItHasNone() throws IOException {
        Path root = templateRoot("tpl");
        QemuRootDisks.RootDisk disk = disks().prepare(spec("tpl", VolumeSpec.persistent(VolumeSpec.ROOT, root, 10L << 30, 0))).orElseThrow();
        assertEquals(root.resolve(QemuRootDisks.IMAGE), disk.image());
        assertEquals("raw", disk.format());
        assertTrue(disk.kernel().isEmpty() && disk.initramfs().isEmpty());
        assertTrue(disks().prepare(new DomainSpec("m", 3, QubeClass.AppVM, 256, 256, 1, "", false, List.of())).isEmpty(),
                "no root volume: the built-in image alone");
    }

    @Test
    void aRootWithoutAnImageIsRefusedNamingTheTemplateAndWhatItLacks() throws IOException {
        Path root = Files.createDirectories(temp.resolve("data/qubes/bulkhead-debian/root/tree"));
        InvalidValueException e = assertThrows(InvalidValueException.class,
                () -> disks().prepare(spec("work", VolumeSpec.snapshotOf(VolumeSpec.ROOT, root.getParent(), 10L << 30))));
        assertTrue(e.getMessage().contains("bulkhead-debian has no root.img"), e.getMessage());
        assertTrue(e.getMessage().contains("only a root tree, which the lite backend runs"), e.getMessage());
        assertTrue(e.getMessage().contains("root-image"), e.getMessage());
        assertTrue(disks().exists(VolumeSpec.persistent(VolumeSpec.ROOT, root.getParent(), 1, 0)),
                "it has storage, so the core gives the root to the backend, which refuses it");
    }

    @Test
    void anImportTakesOverTheImageAndBootFilesAndACopyIsAnotherQubesOwn() throws IOException {
        Path content = Files.createDirectories(temp.resolve("staging/vm-root"));
        Files.writeString(content.resolve(QemuRootDisks.IMAGE), "image");
        Files.writeString(content.resolve(QemuRootDisks.KERNEL), "kernel");
        Files.writeString(content.resolve(QemuRootDisks.INITRAMFS), "initramfs");
        Files.writeString(content.resolve("stray"), "not a root file");
        VolumeSpec template = VolumeSpec.persistent(VolumeSpec.ROOT, temp.resolve("data/qubes/tpl/root"), 1, 0);
        Files.createDirectories(template.source().resolve("tree"));
        QemuRootDisks disks = disks();

        disks.importContent(template, content);
        assertFalse(Files.exists(content));
        try (var files = Files.list(template.source())) {
            assertEquals(List.of("initrd.img", "root.img", "vmlinuz"), files.map(f -> f.getFileName().toString()).sorted().toList(),
                    "the old content and the stray file went");
        }
        assertEquals(5 + 6 + 9, disks.usage(template));

        VolumeSpec standalone = VolumeSpec.persistent(VolumeSpec.ROOT, temp.resolve("data/qubes/mine/root"), 1, 0);
        Files.createDirectories(standalone.source().getParent());
        disks.copy(template, standalone);
        assertEquals("image", Files.readString(standalone.source().resolve(QemuRootDisks.IMAGE)));
        Files.writeString(standalone.source().resolve(QemuRootDisks.IMAGE), "changed");
        assertEquals("image", Files.readString(template.source().resolve(QemuRootDisks.IMAGE)), "a copy, not a link");
        assertEquals("kernel", Files.readString(standalone.source().resolve(QemuRootDisks.KERNEL)));
    }
}
