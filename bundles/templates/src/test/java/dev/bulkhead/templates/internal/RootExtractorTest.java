package dev.bulkhead.templates.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.templates.internal.tar.TarEntry;
import dev.bulkhead.testing.SystemTest;

/**
 * Unpacking against the real file system (as root, as the platform runs): every hostile shape is
 * refused before anything reaches outside the root.
 */
@SystemTest
class RootExtractorTest {
    private static final RootExtractor.Limits LIMITS = new RootExtractor.Limits(1 << 20, 100, 1 << 20);

    @TempDir
    Path temp;
    private Path root;
    /** A directory beside the root that no entry may reach. */
    private Path outside;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectory(temp.resolve("root"));
        outside = Files.createDirectory(temp.resolve("outside"));
        Files.writeString(outside.resolve("passwd"), "host file");
    }

    @Test
    void aRootUnpacksWithItsModesOwnersLinksAndTimes() throws IOException {
        byte[] archive = Archives.minimalRoot()
                .entry(new TarEntry("bin/su", TarEntry.Type.FILE, 04755, 0, 0, 2, 1_700_000_000L, ""), "su")
                .entry(new TarEntry("home/user/", TarEntry.Type.DIRECTORY, 0700, 1000, 1000, 0, 1_700_000_000L, ""), "")
                .entry(new TarEntry("home/user/notes", TarEntry.Type.FILE, 0600, 1000, 1000, 1, 1_700_000_000L, ""), "n")
                .entry(new TarEntry("ro/", TarEntry.Type.DIRECTORY, 0555, 0, 0, 0, 1_700_000_000L, ""), "")
                .file("ro/inside", "x", 0644)
                .symlink("etc-link", "/etc/alternatives/x")
                .hardLink("bin/busybox2", "bin/busybox")
                .bytes();

        long bytes = extract(archive);

        assertEquals("#!busybox".length() + "#!/bin/sh\n".length() + "su".length() + "n".length() + "x".length(), bytes);
        assertEquals(04755, Files.getAttribute(root.resolve("bin/su"), "unix:mode", LinkOption.NOFOLLOW_LINKS) instanceof Integer m ? m & 07777 : -1,
                "set-user-id kept after the owner was set");
        assertEquals(1000, Files.getAttribute(root.resolve("home/user/notes"), "unix:uid"));
        assertEquals(0700, (int) Files.getAttribute(root.resolve("home/user"), "unix:mode") & 07777);
        assertEquals(0555, (int) Files.getAttribute(root.resolve("ro"), "unix:mode") & 07777, "read-only, yet it took its entry");
        assertEquals(Path.of("/etc/alternatives/x"), Files.readSymbolicLink(root.resolve("etc-link")));
        assertEquals(Files.getAttribute(root.resolve("bin/busybox"), "unix:ino"), Files.getAttribute(root.resolve("bin/busybox2"), "unix:ino"));
        assertEquals(1_700_000_000_000L, Files.getLastModifiedTime(root.resolve("home/user")).toMillis());
    }

    @Test
    void dotDotIsRefused() {
        assertRefused(Archives.minimalRoot().file("bin/../../outside/passwd", "evil", 0644), "has '..' in its path");
    }

    @Test
    void anAbsolutePathIsRefused() {
        assertRefused(Archives.minimalRoot().file(outside.resolve("passwd").toString(), "evil", 0644), "has an absolute path");
    }

    @Test
    void deviceNodesAndFifosAreRefused() {
        for (TarEntry.Type type : List.of(TarEntry.Type.CHAR_DEVICE, TarEntry.Type.BLOCK_DEVICE)) {
            assertRefused(Archives.minimalRoot().entry(new TarEntry("dev/sda", type, 0660, 0, 0, 0, 0, ""), ""), "is a device node");
        }
        assertRefused(Archives.minimalRoot().entry(new TarEntry("run/pipe", TarEntry.Type.FIFO, 0660, 0, 0, 0, 0, ""), ""), "is a FIFO");
    }

    @Test
    void aRelativeSymlinkClimbingOutOfTheRootIsRefused() {
        assertRefused(Archives.minimalRoot().symlink("etc/shadow", "../../outside/passwd"), "which leads out of the root");
        assertFalse(Files.exists(root.resolve("etc/shadow"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aRelativeSymlinkThatStaysInsideIsTaken() throws IOException {
        extract(Archives.minimalRoot().symlink("usr/lib/x", "../../bin/busybox").bytes());

        assertEquals(Path.of("../../bin/busybox"), Files.readSymbolicLink(root.resolve("usr/lib/x")));
    }

    @Test
    void writingThroughASymlinkIsRefused() {
        assertRefused(Archives.minimalRoot().symlink("etc", outside.toString()).file("etc/passwd", "evil", 0644),
                "has a path through the symbolic link 'etc'");
        assertRefused(Archives.minimalRoot().symlink("up", "bin").file("up/evil", "evil", 0644),
                "has a path through the symbolic link 'up'");
    }

    @Test
    void aHardLinkToAnythingButAnEarlierFileIsRefused() {
        assertRefused(Archives.minimalRoot().hardLink("bin/pw", "../outside/passwd"), "outside the root");
        assertRefused(Archives.minimalRoot().hardLink("bin/pw", outside.resolve("passwd").toString()), "outside the root");
        assertRefused(Archives.minimalRoot().hardLink("bin/pw", "bin/sh"), "which is not a file unpacked before it");
        assertRefused(Archives.minimalRoot().hardLink("bin/pw", "etc/later"), "which is not a file unpacked before it");
    }

    @Test
    void anEntryGivenTwiceIsRefusedSoThatASymlinkCannotReplaceADirectory() {
        assertRefused(Archives.minimalRoot().dir("etc").symlink("etc", outside.toString()), "appears twice");
        assertRefused(Archives.minimalRoot().file("bin/busybox", "again", 0755), "appears twice");
    }

    @Test
    void anArchiveOverTheUnpackedLimitIsRefused() {
        assertRefused(Archives.minimalRoot().file("big", "x".repeat((1 << 20) + 1), 0644), "unpacks to more than 1048576 bytes");
    }

    @Test
    void anArchiveWithTooManyEntriesIsRefused() {
        Archives many = Archives.minimalRoot();
        for (int i = 0; i < 100; i++) {
            many.file("f" + i, "", 0644);
        }
        assertRefused(many, "has more than 100 entries");
    }

    private long extract(byte[] archive) throws IOException {
        return new RootExtractor(root, LIMITS, true).extract(new ByteArrayInputStream(archive), bytes -> {
        });
    }

    /** Refused with the message, into a fresh root, and nothing outside that root changed. */
    private void assertRefused(Archives archive, String message) {
        try {
            root = Files.createTempDirectory(temp, "root-");
        } catch (IOException io) {
            throw new AssertionError(io);
        }
        AdminException e = assertThrows(AdminException.class, () -> extract(archive.bytes()));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        try (var entries = Files.list(outside)) {
            assertEquals(List.of(outside.resolve("passwd")), entries.toList());
            assertEquals("host file", Files.readString(outside.resolve("passwd")));
        } catch (IOException io) {
            throw new AssertionError(io);
        }
    }
}
