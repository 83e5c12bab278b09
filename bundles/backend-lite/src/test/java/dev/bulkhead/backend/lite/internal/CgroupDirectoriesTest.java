package dev.bulkhead.backend.lite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against directory trees shaped like cgroupfs; the system tests cover the real one. */
class CgroupDirectoriesTest {
    @TempDir
    Path root;

    @Test
    void aV1CgroupIsFoundAndRemovedInEveryHierarchy() throws IOException {
        Path memory = Files.createDirectories(root.resolve("memory/bulkhead-abc/work"));
        Path unified = Files.createDirectories(root.resolve("unified/bulkhead-abc/work"));
        Files.createDirectories(root.resolve("pids"));
        Files.createSymbolicLink(root.resolve("cpu,cpuacct"), root.resolve("memory"));
        CgroupDirectories cgroups = new CgroupDirectories(root);

        assertEquals(List.of(memory, unified), cgroups.existing("/bulkhead-abc/work").stream().sorted().toList());
        cgroups.remove("/bulkhead-abc/work");

        assertEquals(List.of(), cgroups.existing("/bulkhead-abc/work"));
    }

    @Test
    void onAUnifiedHostTheRootIsTheOnlyHierarchy() throws IOException {
        Files.createFile(root.resolve("cgroup.controllers"));
        Path cgroup = Files.createDirectories(root.resolve("bulkhead-abc/work"));

        assertEquals(List.of(cgroup), new CgroupDirectories(root).existing("/bulkhead-abc/work"));
    }

    @Test
    void aParentWithChildrenStays() throws IOException {
        Files.createDirectories(root.resolve("memory/bulkhead-abc/other"));
        Files.createDirectories(root.resolve("pids/bulkhead-abc"));

        new CgroupDirectories(root).removeWhereEmpty("/bulkhead-abc");

        assertTrue(Files.isDirectory(root.resolve("memory/bulkhead-abc")));
        assertFalse(Files.exists(root.resolve("pids/bulkhead-abc")));
    }
}
