package dev.bulkhead.role.vpn.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;

class VpnStoreTest {
    @TempDir
    Path data;

    @Test
    void aConfigurationIsStoredForItsOwnerOnlyAndReadsBack() throws IOException {
        VpnStore store = new VpnStore(data.resolve("vpn"));
        WgQuickConfig config = WgQuickConfig.parse(WgQuickConfigTest.FILE);
        assertEquals(Optional.empty(), store.read("sys-vpn"));

        store.write("sys-vpn", config);

        Path file = data.resolve("vpn/sys-vpn.conf");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("vpn"))));
        assertEquals(config.toWgQuick(), store.read("sys-vpn").orElseThrow().toWgQuick());
    }

    @Test
    void aNewConfigurationReplacesTheOldWholeAndLeavesNothingElse() throws IOException {
        VpnStore store = new VpnStore(data.resolve("vpn"));
        store.write("sys-vpn", WgQuickConfig.parse(WgQuickConfigTest.FILE));
        WgQuickConfig other = WgQuickConfig.parse(WgQuickConfigTest.FILE.replace("10.64.0.2/32", "10.64.0.9/32"));

        store.write("sys-vpn", other);

        assertEquals(List.of("10.64.0.9/32"), store.read("sys-vpn").orElseThrow().ipv4Addresses());
        try (Stream<Path> files = Files.list(data.resolve("vpn"))) {
            assertEquals(List.of("sys-vpn.conf"), files.map(f -> f.getFileName().toString()).toList());
        }
    }

    @Test
    void deleteRemovesItAndABrokenFileIsReportedByName() throws IOException {
        VpnStore store = new VpnStore(data.resolve("vpn"));
        store.write("sys-vpn", WgQuickConfig.parse(WgQuickConfigTest.FILE));
        store.delete("sys-vpn");
        assertFalse(Files.exists(data.resolve("vpn/sys-vpn.conf")));
        store.delete("sys-vpn");

        Files.writeString(data.resolve("vpn/sys-vpn.conf"), "[Interface]\nPrivateKey = broken\n");
        AdminException e = assertThrows(AdminException.class, () -> store.read("sys-vpn"));
        assertTrue(e.getMessage().contains(data.resolve("vpn/sys-vpn.conf").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("import it again"), e.getMessage());
    }

    @Test
    void aNameThatIsNoQubeNameIsNoFileName() {
        VpnStore store = new VpnStore(data.resolve("vpn"));
        assertThrows(InvalidValueException.class, () -> store.read("../etc/passwd"));
    }
}
