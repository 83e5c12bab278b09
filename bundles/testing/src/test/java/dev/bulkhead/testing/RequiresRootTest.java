package dev.bulkhead.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RequiresRootTest {
    @TempDir
    Path dir;

    private RequiresRoot withUids(String uidLine) throws IOException {
        Path status = dir.resolve("status");
        Files.writeString(status, "Name:\tjava\nUmask:\t0022\n" + uidLine + "\nGid:\t0\t0\t0\t0\n");
        return new RequiresRoot(status);
    }

    @Test
    void theEffectiveUserIdDecides() throws IOException {
        assertTrue(withUids("Uid:\t1000\t0\t1000\t1000").isRoot(), "effective uid 0");
        assertFalse(withUids("Uid:\t0\t1000\t0\t0").isRoot(), "real uid 0, effective 1000");
        assertFalse(withUids("Uid:\t1000\t1000\t1000\t1000").isRoot());
    }

    /** The twin of the test above: the real /proc agrees with the owner of a file this process makes. */
    @Test
    void onThisMachineItAgreesWithTheOwnerOfANewFile() throws IOException {
        int uid = (Integer) Files.getAttribute(Files.createFile(dir.resolve("mine")), "unix:uid");
        assertEquals(uid == 0, new RequiresRoot().isRoot());
    }
}
