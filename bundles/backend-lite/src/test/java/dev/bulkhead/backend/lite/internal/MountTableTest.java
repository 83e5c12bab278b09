package dev.bulkhead.backend.lite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;

class MountTableTest {
    @TempDir
    Path proc;

    @Test
    void aLineGivesMountPointTypeAndSourceWithOptionalFieldsAndEscapes() {
        MountTable.Mount m = MountTable.parse(
                "36 35 98:0 / /data/my\\040dir rw,noatime master:1 shared:2 - ext4 /dev/loop1 rw,errors=continue");

        assertEquals(new MountTable.Mount(Path.of("/data/my dir"), "ext4", "/dev/loop1"), m);
    }

    @Test
    void belowListsTheMountsUnderADirectoryLatestFirst() throws IOException {
        Files.createDirectories(proc.resolve("self"));
        Files.write(proc.resolve("self/mountinfo"), List.of(
                "22 1 8:1 / / rw - ext4 /dev/vda rw",
                "40 22 0:50 / /d/volumes/volatile rw - tmpfs bulkhead-volatile rw",
                "41 22 7:0 / /d/volumes/private rw - ext4 /dev/loop0 rw",
                "42 22 0:51 / /d/volumes-other rw - tmpfs x rw"));

        List<MountTable.Mount> below = new MountTable(proc).below(Path.of("/d/volumes"));

        assertEquals(List.of(Path.of("/d/volumes/private"), Path.of("/d/volumes/volatile")),
                below.stream().map(MountTable.Mount::mountPoint).toList());
        assertEquals(List.of(Path.of("/d/volumes/private")), new MountTable(proc).mountPointsOf("/dev/loop0"));
    }

    @Test
    void aMissingTableHasNoMountsAndAGarbledLineIsReported() {
        assertEquals(List.of(), new MountTable(proc).all());
        AdminException e = assertThrows(AdminException.class, () -> MountTable.parse("22 1 8:1 / /"));
        assertEquals("cannot read a line of the mount table: '22 1 8:1 / /'", e.getMessage());
    }
}
