package dev.bulkhead.templates.internal.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.template.PayloadFile;
import dev.bulkhead.api.template.TemplateManifest;
import dev.bulkhead.templates.internal.Manifests;
import dev.bulkhead.templates.internal.PackageReader;

/** The tool end to end with this host's busybox, ldd and dpkg, as the build uses it. */
class TemplateToolTest {
    @TempDir
    Path temp;
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final TemplateTool tool = new TemplateTool(new PrintStream(printed, true, StandardCharsets.UTF_8));

    @Test
    void aRootBuiltPackedAndSignedVerifiesAgainstItsKeyAndASecondSignatureAgainstTheOther() throws Exception {
        Path keys1 = Files.createDirectory(temp.resolve("keys1"));
        Path keys2 = Files.createDirectory(temp.resolve("keys2"));
        run("keygen", keys1.resolve("one").toString());
        run("keygen", keys2.resolve("two").toString());
        Path root = temp.resolve("root");
        run("rootfs", "--program", "/sbin/ip", root.toString());

        assertTrue(Files.isSymbolicLink(root.resolve("bin/sh")));
        assertTrue(Files.isRegularFile(root.resolve("sbin/ip"), LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.readString(root.resolve("usr/share/bulkhead/packages")).contains("iproute2 "));
        assertEquals(0600, (int) Files.getAttribute(keys1.resolve("one.key"), "unix:mode") & 0777);

        Path pkg = temp.resolve("base.bht");
        run("pack", "--name", "base", "--version", "2.0", "--key", keys1.resolve("one.key").toString(), "--root", root.toString(),
                pkg.toString());
        assertEquals(0, run("verify", "--keys", keys1.toString(), pkg.toString()));
        assertThrows(AdminException.class, () -> run("verify", "--keys", keys2.toString(), pkg.toString()));

        Path resigned = temp.resolve("resigned.bht");
        run("sign", "--key", keys2.resolve("two.key").toString(), pkg.toString(), resigned.toString());
        assertEquals(0, run("verify", "--keys", keys2.toString(), resigned.toString()));
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("template base 2.0 signed by"), printed.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aPackageWithAVmPayloadGivesTheRootTreeToLiteAndTheImageKernelAndInitramfsToQemu() throws Exception {
        run("keygen", temp.resolve("k").toString());
        Path root = Files.createDirectories(temp.resolve("root/etc"));
        Files.writeString(root.resolve("hostname"), "x\n");
        Files.write(temp.resolve("root.img"), new byte[4096]);
        Files.writeString(temp.resolve("vmlinuz"), "kernel");
        Files.writeString(temp.resolve("initrd.img"), "initramfs");
        Path pkg = temp.resolve("vm.bht");
        run("pack", "--name", "vm", "--version", "1", "--key", temp.resolve("k.key").toString(), "--root", temp.resolve("root").toString(),
                "--backend", "lite", "--backend", "qemu", "--root-image", temp.resolve("root.img").toString(),
                "--kernel", temp.resolve("vmlinuz").toString(), "--initramfs", temp.resolve("initrd.img").toString(), pkg.toString());

        TemplateManifest manifest = Manifests.parse(PackageReader.header(pkg).manifestBytes());
        assertEquals(List.of("lite", "qemu"), manifest.backends());
        assertEquals(List.of(PayloadFile.ROOTFS), manifest.filesFor("lite").stream().map(PayloadFile::kind).toList());
        assertEquals(List.of(PayloadFile.ROOT_IMAGE, PayloadFile.KERNEL, PayloadFile.INITRAMFS),
                manifest.filesFor("qemu").stream().map(PayloadFile::kind).toList());
        PayloadFile image = manifest.filesFor("qemu").get(0);
        assertEquals("root.img.gz", image.name());
        assertEquals(4096, image.unpackedSize(), "the image's own size");
        assertTrue(image.size() < 4096, "carried gzip-compressed: " + image.size() + " bytes");
        assertEquals(0, run("verify", "--keys", temp.toString(), "--backend", "qemu", pkg.toString()));
        assertThrows(TemplateTool.UsageException.class, () -> run("pack", "--name", "vm", "--version", "1", "--key",
                temp.resolve("k.key").toString(), "--root", temp.resolve("root").toString(), "--root-image", temp.resolve("root.img").toString(),
                temp.resolve("lite-only.bht").toString()), "a root image needs a VM backend, a kernel and an initramfs");
    }

    @Test
    void keysAreNeverOverwritten() throws Exception {
        run("keygen", temp.resolve("k").toString());
        String before = Files.readString(temp.resolve("k.key"));

        assertThrows(AdminException.class, () -> run("keygen", temp.resolve("k").toString()));
        assertEquals(before, Files.readString(temp.resolve("k.key")));
    }

    @Test
    void wrongUseIsAUsageError() {
        assertThrows(TemplateTool.UsageException.class, () -> run("pack", "--name", "x", "out.bht"));
        assertThrows(TemplateTool.UsageException.class, () -> run("frobnicate"));
    }

    private int run(String... args) throws Exception {
        return tool.run(args);
    }
}
