package dev.bulkhead.qubetools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/** qfile-agent and qfile-unpacker joined by pipes, as qrexec joins them: a tree arrives whole, nothing is overwritten. */
class FilecopyTest {
    private static List<String> agent(String... files) {
        List<String> command = new java.util.ArrayList<>(List.of(QubeTools.program("usr/lib/qubes/qfile-agent").toString()));
        command.addAll(List.of(files));
        return command;
    }

    private static List<String> unpacker() {
        return List.of(QubeTools.program("usr/lib/qubes/qfile-unpacker").toString());
    }

    /** A tree of nested directories, an empty file, a 10 MB file and names with spaces and UTF-8, in sender. */
    private static Path sampleTree(Path sender) throws IOException {
        Path tree = Files.createDirectories(sender.resolve("report 2026"));
        Files.createDirectories(tree.resolve("a/b/c"));
        Files.createDirectories(tree.resolve("empty dir"));
        Files.write(tree.resolve("a/b/c/empty"), new byte[0]);
        byte[] big = new byte[10 * 1024 * 1024];
        new Random(15).nextBytes(big);
        Files.write(tree.resolve("a/big.bin"), big);
        Files.writeString(tree.resolve("Grüße, 日本語 & spaces.txt"), "odd but legal\n");
        Files.writeString(tree.resolve("a/b/run.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(tree.resolve("a/b/run.sh"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return tree;
    }

    @Test
    void aTreeArrivesWholeWithEveryFilesSha256() throws Exception {
        try (Sandbox box = new Sandbox()) {
            Path sender = Files.createDirectory(box.root.resolve("sender"));
            Path tree = sampleTree(sender);
            Files.writeString(sender.resolve("note.txt"), "a single file\n");

            QubeTools.Run[] runs = QubeTools.connect(agent("report 2026", "note.txt"), Map.of(), sender, unpacker(), box.env());

            assertEquals(0, runs[0].exit(), "sender: " + runs[0]);
            assertEquals(0, runs[1].exit(), "receiver: " + runs[1]);
            assertEquals(QubeTools.tree(tree), QubeTools.tree(box.incoming.resolve("report 2026")));
            assertEquals(QubeTools.tree(sender.resolve("note.txt").getParent()).get("note.txt"),
                    QubeTools.tree(box.incoming).get("note.txt"));
            assertEquals("755", QubeTools.mode(box.incoming.resolve("report 2026/a/b/run.sh")));
            assertEquals(Files.getLastModifiedTime(tree.resolve("a/big.bin")), Files.getLastModifiedTime(box.incoming.resolve("report 2026/a/big.bin")));
        }
    }

    @Test
    void aSecondCopyOfTheSameNameGetsAFreeNameAndOverwritesNothing() throws Exception {
        try (Sandbox box = new Sandbox()) {
            Path sender = Files.createDirectory(box.root.resolve("sender"));
            Files.writeString(sender.resolve("note.txt"), "first\n");
            QubeTools.connect(agent("note.txt"), Map.of(), sender, unpacker(), box.env());
            Files.writeString(sender.resolve("note.txt"), "second\n");

            QubeTools.Run[] runs = QubeTools.connect(agent("note.txt"), Map.of(), sender, unpacker(), box.env());

            assertEquals(0, runs[0].exit(), runs[0].toString());
            assertEquals("first\n", Files.readString(box.incoming.resolve("note.txt")));
            assertEquals("second\n", Files.readString(box.incoming.resolve("note.txt.1")));
        }
    }

    @Test
    void aRefusedCopyFailsTheSenderWithTheReceiversReason() throws Exception {
        try (Sandbox box = new Sandbox()) {
            Path sender = Files.createDirectory(box.root.resolve("sender"));
            sampleTree(sender);

            QubeTools.Run[] runs = QubeTools.connect(agent("report 2026"), Map.of(), sender, unpacker(),
                    box.env("QUBES_FILECOPY_MAX_BYTES", "1M"));

            assertEquals(1, runs[0].exit(), runs[0].toString());
            assertTrue(runs[0].stderr().contains("the receiving qube refused the copy") && runs[0].stderr().contains("QUBES_FILECOPY_MAX_BYTES"),
                    runs[0].stderr());
            assertEquals(1, runs[1].exit());
            assertEquals(Map.of(), QubeTools.tree(box.incoming));
        }
    }

    @Test
    void theSenderRefusesASymlinkAndTheReceiverKeepsNothing() throws Exception {
        try (Sandbox box = new Sandbox()) {
            Path sender = Files.createDirectory(box.root.resolve("sender"));
            Path dir = Files.createDirectory(sender.resolve("dir"));
            Files.writeString(dir.resolve("a"), "a\n");
            Files.createSymbolicLink(dir.resolve("z-link"), box.outside.resolve("precious"));

            QubeTools.Run[] runs = QubeTools.connect(agent("dir"), Map.of(), sender, unpacker(), box.env());

            assertEquals(1, runs[0].exit());
            assertTrue(runs[0].stderr().contains("z-link: a symlink"), runs[0].stderr());
            assertEquals(1, runs[1].exit());
            assertEquals(new TreeMap<>(), QubeTools.tree(box.incoming));
        }
    }

    @Test
    void theAgentWithoutFilesPrintsItsUsage() throws Exception {
        try (Sandbox box = new Sandbox()) {
            QubeTools.Run run = QubeTools.run(box.scratch, new byte[0], Map.of(), agent().get(0));
            assertEquals(2, run.exit());
            assertTrue(run.stderr().startsWith("usage: qfile-agent FILE..."), run.stderr());
        }
    }
}
