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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;

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
