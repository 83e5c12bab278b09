package dev.bulkhead.backend.lite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

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
    void theCgroupsBelowAPathComeFromEveryHierarchyDeepestFirstWithTheirProcesses() throws IOException {
        Files.createDirectories(root.resolve("memory/bulkhead-abc/work/sub"));
        Files.createDirectories(root.resolve("pids/bulkhead-abc/half"));
        Files.writeString(root.resolve("memory/bulkhead-abc/work/cgroup.procs"), "12\n7\n");
        Files.writeString(root.resolve("pids/bulkhead-abc/half/cgroup.procs"), "");
        Files.createDirectories(root.resolve("pids/bulkhead-abc/work"));
        Files.writeString(root.resolve("pids/bulkhead-abc/work/cgroup.procs"), "7\n");
        Files.createDirectories(root.resolve("pids/bulkhead-other/work"));
        CgroupDirectories cgroups = new CgroupDirectories(root);

        List<String> below = cgroups.descendants("/bulkhead-abc");

        assertEquals("/bulkhead-abc/work/sub", below.get(0));
        assertEquals(List.of("/bulkhead-abc/half", "/bulkhead-abc/work", "/bulkhead-abc/work/sub"), below.stream().sorted().toList());
        assertEquals(List.of(7L, 12L), List.copyOf(cgroups.processes("/bulkhead-abc/work")));
        assertEquals(List.of(), List.copyOf(cgroups.processes("/bulkhead-abc/half")));
        assertEquals(List.of(), cgroups.descendants("/bulkhead-none"));
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

    @Test
    void usageOnAV1HostComesFromCpuacctAndMemory() throws IOException {
        Files.writeString(Files.createDirectories(root.resolve("cpuacct/bulkhead-abc/work")).resolve("cpuacct.usage"), "1500000000\n");
        Files.writeString(Files.createDirectories(root.resolve("memory/bulkhead-abc/work")).resolve("memory.usage_in_bytes"), "4096\n");
        Files.createDirectories(root.resolve("unified/bulkhead-abc/work"));

        assertEquals(Optional.of(new CgroupDirectories.Usage(1_500_000_000L, 4096)),
                new CgroupDirectories(root).usage("/bulkhead-abc/work"));
    }

    @Test
    void usageOnAUnifiedHostComesFromCpuStatAndMemoryCurrent() throws IOException {
        Files.createFile(root.resolve("cgroup.controllers"));
        Path cgroup = Files.createDirectories(root.resolve("bulkhead-abc/work"));
        Files.writeString(cgroup.resolve("cpu.stat"), "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
        Files.writeString(cgroup.resolve("memory.current"), "8192\n");

        assertEquals(Optional.of(new CgroupDirectories.Usage(2_500_000L, 8192)),
                new CgroupDirectories(root).usage("/bulkhead-abc/work"));
    }

    @Test
    void aGoneOrUncountedCgroupHasNoUsage() throws IOException {
        Files.createDirectories(root.resolve("memory/bulkhead-abc/work"));

        assertEquals(Optional.empty(), new CgroupDirectories(root).usage("/bulkhead-abc/work"));
        assertEquals(Optional.empty(), new CgroupDirectories(root).usage("/bulkhead-abc/gone"));
    }
}
