package dev.bulkhead.qubetools;

import static dev.bulkhead.qubetools.FilecopyStream.S_IFDIR;
import static dev.bulkhead.qubetools.FilecopyStream.S_IFREG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Streams a hostile sender could write, against qfile-unpacker: each is refused, nothing is written
 * outside ~/QubesIncoming/work, and nothing of the refused copy is left there (a complete file sent
 * before the refusal included: no file is left that could pass for a whole copy).
 */
class QfileUnpackerHostileTest {
    private Sandbox box;

    @BeforeEach
    void sandbox() throws Exception {
        box = new Sandbox();
    }

    @AfterEach
    void clean() throws Exception {
        box.close();
    }

    /** A good file first, so that a refusal must also remove what had arrived whole. */
    private static FilecopyStream afterAGoodFile() {
        return new FilecopyStream().file("good.txt", "arrived before the refusal\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "../outside/precious", "/x", "/tmp/x", "a/../../x", "a/./x", "a//x", "a/", ".", "..", "a/..",
        "line\nbreak", "tab\there", "esc\u001b[31m", "del\u007f", "c1\u0085control"})
    void aBadNameIsRefused(String name) throws Exception {
        byte[] stream = afterAGoodFile().dir("a").file(name, "hostile\n").end().bytes();
        String why = box.assertRefused(stream);
        assertTrue(why.contains("name") || why.contains("component"), why);
    }

    @Test
    void aNameWithANulByteIsRefused() throws Exception {
        box.assertRefused(afterAGoodFile().entry("a\0b".getBytes(StandardCharsets.UTF_8), S_IFREG | 0644, new byte[1]).end().bytes());
    }

    @Test
    void aNameThatIsNotUtf8IsRefused() throws Exception {
        box.assertRefused(afterAGoodFile().entry(new byte[] {'a', (byte) 0xc0, (byte) 0xaf}, S_IFREG | 0644, new byte[1]).end().bytes());
    }

    @Test
    void anEmptyNameIsRefused() throws Exception {
        box.assertRefused(afterAGoodFile().header(0, S_IFREG | 0644, 5).raw("hello".getBytes(StandardCharsets.UTF_8)).end().bytes());
    }

    @ParameterizedTest
    @ValueSource(longs = {4096, 65536, 0xffff_ffffL})
    void anOversizedNameLengthIsRefusedBeforeTheNameIsRead(long namelen) throws Exception {
        byte[] name = new byte[8192];
        Arrays.fill(name, (byte) 'n');
        String why = box.assertRefused(afterAGoodFile().header(namelen, S_IFREG | 0644, 0).raw(name).end().bytes());
        assertTrue(why.contains("at most 4095"), why);
    }

    @Test
    void aComponentLongerThan255BytesIsRefused() throws Exception {
        box.assertRefused(afterAGoodFile().file("x".repeat(256), "long\n").end().bytes());
    }

    @Test
    void aSymlinkPointingOutFollowedByAFileThroughItIsRefused() throws Exception {
        byte[] stream = afterAGoodFile().symlink("out", "../../../outside").file("out/precious", "overwritten\n").end().bytes();
        String why = box.assertRefused(stream);
        assertTrue(why.contains("symlinks are refused"), why);
    }

    @Test
    void aSymlinkInsideTheCopyIsRefusedToo() throws Exception {
        box.assertRefused(afterAGoodFile().symlink("in", "good.txt").end().bytes());
    }

    @Test
    void aFileThroughAPreExistingSymlinkInTheIncomingDirectoryIsRefused() throws Exception {
        Files.createDirectories(box.incoming);
        Files.createSymbolicLink(box.incoming.resolve("evil"), box.outside);
        String why = box.assertRefused(afterAGoodFile().file("evil/precious", "overwritten\n").end().bytes());
        assertTrue(why.contains("did not come first"), why);
    }

    @Test
    void aTopLevelNameOfAPreExistingSymlinkGetsAFreeNameAndTheLinkIsNotFollowed() throws Exception {
        Files.createDirectories(box.incoming);
        Files.createSymbolicLink(box.incoming.resolve("evil"), box.outside);

        QubeTools.Run run = box.unpack(new FilecopyStream().dir("evil").file("evil/precious", "new\n").end().bytes());

        assertEquals(0, run.exit(), run.toString());
        assertEquals("left alone\n", Files.readString(box.outside.resolve("precious")));
        assertEquals("new\n", Files.readString(box.incoming.resolve("evil.1/precious")));
        assertTrue(Files.isSymbolicLink(box.incoming.resolve("evil")));
    }

    @Test
    void anIncomingDirectoryThatIsASymlinkIsNotFollowed() throws Exception {
        Files.createDirectories(box.incoming.getParent());
        Files.createSymbolicLink(box.incoming, box.outside);
        box.assertRefused(new FilecopyStream().file("precious", "overwritten\n").end().bytes());
    }

    @Test
    void aFileLongerThanAnnouncedIsRefused() throws Exception {
        byte[] data = "twenty bytes of data".getBytes(StandardCharsets.UTF_8);
        byte[] stream = afterAGoodFile().header(4, S_IFREG | 0644, 10).raw("file".getBytes(StandardCharsets.UTF_8)).raw(data).end().bytes();
        box.assertRefused(stream);
    }

    @Test
    void aStreamTruncatedInsideTheDataIsRefused() throws Exception {
        byte[] stream = afterAGoodFile().header(4, S_IFREG | 0644, 1000).raw("file".getBytes(StandardCharsets.UTF_8)).raw(new byte[999]).bytes();
        String why = box.assertRefused(stream);
        assertTrue(why.contains("ended inside the data"), why);
    }

    @Test
    void aStreamTruncatedInsideAHeaderOrWithoutItsEndMarkIsRefused() throws Exception {
        byte[] whole = afterAGoodFile().file("second", "x\n").end().bytes();
        box.assertRefused(Arrays.copyOf(whole, whole.length - 32));
        box.assertRefused(Arrays.copyOf(whole, whole.length - 5));
        box.assertRefused(new byte[0]);
    }

    @Test
    void theByteLimitIsCheckedOnTheAnnouncedSize() throws Exception {
        byte[] stream = afterAGoodFile().file("big", 0644, new byte[101]).end().bytes();
        String why = box.assertRefused(stream, "QUBES_FILECOPY_MAX_BYTES", "120");
        assertTrue(why.contains("exceed 120 bytes"), why);
        byte[] lying = afterAGoodFile().header(3, S_IFREG | 0644, 1L << 40).raw("big".getBytes(StandardCharsets.UTF_8)).bytes();
        box.assertRefused(lying);
    }

    @Test
    void theFileCountLimitCountsDirectoriesToo() throws Exception {
        byte[] stream = afterAGoodFile().dir("d").file("d/x", "x\n").end().bytes();
        String why = box.assertRefused(stream, "QUBES_FILECOPY_MAX_FILES", "2");
        assertTrue(why.contains("more than 2 files"), why);
        assertEquals(0, box.unpack(stream, "QUBES_FILECOPY_MAX_FILES", "3").exit());
    }

    @Test
    void aLimitThatIsNotASizeStopsTheReceiver() throws Exception {
        QubeTools.Run run = box.unpack(new FilecopyStream().file("a", "a\n").end().bytes(), "QUBES_FILECOPY_MAX_BYTES", "lots");
        assertEquals(2, run.exit());
        assertTrue(run.stderr().contains("is not a size"), run.stderr());
        assertEquals(false, Files.exists(box.incoming.resolve("a")));
    }

    @Test
    void setuidSetgidAndStickyBitsAreDropped() throws Exception {
        byte[] stream = new FilecopyStream().dir("d", 07755).file("d/tool", 06755, "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8))
                .file("d/sticky", 01666, new byte[0]).end().bytes();

        QubeTools.Run run = QubeTools.run(box.scratch, stream, box.env(), "sh", "-c", "umask 022; exec \"$0\"",
                QubeTools.program("usr/lib/qubes/qfile-unpacker").toString());

        assertEquals(0, run.exit(), run.toString());
        assertEquals("755", QubeTools.mode(box.incoming.resolve("d")));
        assertEquals("755", QubeTools.mode(box.incoming.resolve("d/tool")));
        assertEquals("644", QubeTools.mode(box.incoming.resolve("d/sticky")), "masked by the umask");
    }

    @Test
    void otherFileTypesAndADirectoryWithDataAreRefused() throws Exception {
        box.assertRefused(afterAGoodFile().entry("fifo".getBytes(StandardCharsets.UTF_8), 0010644, new byte[0]).end().bytes());
        box.assertRefused(afterAGoodFile().entry("dev".getBytes(StandardCharsets.UTF_8), 0020644, new byte[0]).end().bytes());
        box.assertRefused(afterAGoodFile().entry("d".getBytes(StandardCharsets.UTF_8), S_IFDIR | 0755, new byte[3]).end().bytes());
    }

    @Test
    void anEntryWhoseDirectoryDidNotComeFirstOrWasAFileIsRefused() throws Exception {
        box.assertRefused(afterAGoodFile().file("nodir/x", "x\n").end().bytes());
        box.assertRefused(afterAGoodFile().file("good.txt/x", "x\n").end().bytes());
    }

    @Test
    void aDuplicateNameInsideADirectoryIsRefused() throws Exception {
        box.assertRefused(afterAGoodFile().dir("d").file("d/x", "1\n").file("d/x", "2\n").end().bytes());
    }

    @Test
    void aMissingHomeIsMadeAsALoginWould() throws Exception {
        java.nio.file.Path home = box.root.resolve("new/home/user");

        QubeTools.Run run = QubeTools.run(box.scratch, new FilecopyStream().file("a", "a\n").end().bytes(),
                box.env("HOME", home.toString()), QubeTools.program("usr/lib/qubes/qfile-unpacker").toString());

        assertEquals(0, run.exit(), run.toString());
        assertEquals("a\n", Files.readString(home.resolve("QubesIncoming/work/a")));
        assertEquals("700", QubeTools.mode(home));
    }

    @Test
    void aSenderThatIsNotAQubeNameIsRefused() throws Exception {
        Files.createDirectories(box.home.resolve("QubesIncoming"));
        for (String source : new String[] {"", "..", "../../outside", "a/b", "-x", "x".repeat(32)}) {
            QubeTools.Run run = QubeTools.run(box.scratch, new FilecopyStream().file("a", "a\n").end().bytes(),
                    box.env("QREXEC_REMOTE_DOMAIN", source), QubeTools.program("usr/lib/qubes/qfile-unpacker").toString());
            assertEquals(1, run.exit(), source);
            assertEquals(0, Files.list(box.home.resolve("QubesIncoming")).count(), source);
        }
    }
}
