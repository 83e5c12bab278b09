package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pieces of QemuNetwork that are pure: addresses, the nftables rulesets that join a tap to its links and keep a
 * client to its own address, and the scripts run in the guests. QemuNetworkSystemTest runs them with real VMs.
 */
class QemuNetworkTest {
    private static final Pattern UNICAST_LOCAL_MAC = Pattern.compile("[0-9a-f][26ae](:[0-9a-f]{2}){5}");

    @Test
    void cardAndLinkAddressesAreLocallyAdministeredUnicastAndDifferByQidAndKind() {
        assertEquals("02:62:71:00:00:05", QemuNetwork.mac(5));
        assertEquals("02:62:76:00:00:05", QemuNetwork.vifMac(5));
        assertEquals("02:62:71:ff:ff:ff", QemuNetwork.mac(QemuNetwork.MAX_CLIENT_QID));
        assertNotEquals(QemuNetwork.mac(5), QemuNetwork.mac(6));
        for (String mac : List.of(QemuNetwork.mac(1), QemuNetwork.vifMac(1), QemuNetwork.uplinkMac("bq-abcdef-sys-net", "uplink0"))) {
            assertTrue(UNICAST_LOCAL_MAC.matcher(mac).matches(), mac);
        }
    }

    @Test
    void uplinkAddressesDifferBetweenDomainsOfOneInterfaceNameAndFromCardsAndLinks() {
        String net = QemuNetwork.uplinkMac("bq-abcdef-sys-net", "uplink0");
        assertEquals(net, QemuNetwork.uplinkMac("bq-abcdef-sys-net", "uplink0"), "stable across calls and restarts");
        assertNotEquals(net, QemuNetwork.uplinkMac("bq-abcdef-sys-net2", "uplink0"), "two netvms' uplink0");
        assertNotEquals(net, QemuNetwork.uplinkMac("bq-123456-sys-net", "uplink0"), "the same netvm of two data directories");
        assertNotEquals(net, QemuNetwork.uplinkMac("bq-abcdef-sys-net", "uplink1"));
        assertTrue(net.startsWith("06:"), "apart from the 02:62 of cards and link ends: " + net);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertTrue(seen.add(QemuNetwork.uplinkMac("bq-abcdef-net" + i, "uplink0")), "collision at " + i);
        }
    }

    @Test
    void aJoinedTableForwardsTheGuestDevicesFramesToItsLinkAndTheLinksFramesToThatDeviceAlone() {
        String ruleset = QemuNetwork.joined("bq_v5", "02:62:76:00:00:05", "vif5.0");
        assertTrue(ruleset.startsWith("table netdev bq_v5 {}\ndelete table netdev bq_v5\n"), "replaces what was there: " + ruleset);
        assertTrue(ruleset.contains("""
                    type filter hook ingress device "bqt" priority 0; policy accept;
                    ether saddr 02:62:76:00:00:05 fwd to "vif5.0"
                """), ruleset);
        assertTrue(ruleset.contains("""
                    type filter hook ingress device "vif5.0" priority 0; policy drop;
                    ether daddr set 02:62:76:00:00:05 fwd to "bqt"
                """), ruleset);
    }

    @Test
    void theClientsTableLetsOnlyItsOwnAddressAndCardOutAndDropsTheRest() {
        String ruleset = QemuNetwork.clientTable("10.137.0.5", "02:62:71:00:00:05");
        assertTrue(ruleset.contains("table netdev " + QemuNetwork.CLIENT_TABLE + " {"), ruleset);
        assertTrue(ruleset.contains("hook ingress device \"bqt\" priority 10; policy drop;"),
                "after the joined tables of its own links as a netvm (priority 0), and dropping what they leave: " + ruleset);
        assertTrue(ruleset.contains("ether saddr 02:62:71:00:00:05 ether type ip ip saddr 10.137.0.5 fwd to \"eth0\""), ruleset);
        assertTrue(ruleset.contains(
                "ether saddr 02:62:71:00:00:05 ether type arp arp saddr ether 02:62:71:00:00:05 arp saddr ip 10.137.0.5 fwd to \"eth0\""),
                ruleset);
        assertEquals(2, ruleset.split("fwd to \"eth0\"", -1).length - 1, "nothing else reaches the link: " + ruleset);
        assertFalse(ruleset.contains("ip6"), "no IPv6 passes: " + ruleset);
        assertTrue(ruleset.contains("""
                    type filter hook ingress device "eth0" priority 0; policy drop;
                    ether daddr set 02:62:71:00:00:05 fwd to "bqt"
                """), ruleset);
    }

    @Test
    void uplinkTablesNameInterfacesWithDotsAndDashesInLettersAndDigits() {
        assertEquals("bq_u_uplink0", QemuNetwork.uplinkTable("uplink0"));
        assertEquals("bq_u_eth_h1_d2", QemuNetwork.uplinkTable("eth-1.2"));
        assertNotEquals(QemuNetwork.uplinkTable("a-b"), QemuNetwork.uplinkTable("a.b"));
    }

    @Test
    void theClientsScriptStartsFromABareCardAndItsDisconnectLeavesOne() {
        String script = QemuNetwork.clientScript("10.137.0.5", "10.137.0.1");
        assertTrue(script.indexOf("ip address flush dev eth0") < script.indexOf("ip address add 10.137.0.5/32 dev eth0"), script);
        assertTrue(script.contains("ip route flush dev eth0"), script);
        assertTrue(script.contains("ip route replace 10.137.0.1/32 dev eth0 scope link"), script);
        assertTrue(script.contains("ip route replace default via 10.137.0.1 dev eth0"), script);
        assertTrue(QemuNetwork.CLIENT_DISCONNECT.contains("ip address flush dev eth0"));
        assertTrue(QemuNetwork.CLIENT_DISCONNECT.contains("ip route flush dev eth0"));
    }

    /** The line of the client's script that writes resolv.conf, run by a shell as the guest's would, writes lite's file. */
    @Test
    void theClientsScriptGivesItLitesResolvConf(@TempDir Path temp) throws Exception {
        String script = QemuNetwork.clientScript("10.137.0.5", "10.137.0.1");
        String line = script.lines().filter(l -> l.contains("/etc/resolv.conf")).findFirst().orElseThrow(() -> new AssertionError(script));
        Path file = temp.resolve("resolv.conf");
        Process sh = new ProcessBuilder("/bin/sh", "-ec", line.replace("/etc/resolv.conf", file.toString())).start();
        assertEquals(0, sh.waitFor());
        assertEquals("nameserver 10.139.1.1\nnameserver 10.139.1.2\n", Files.readString(file));
    }

    @Test
    void theNetvmsLinkEndAndUplinkAreMacvlansOnItsCard() {
        String vif = QemuNetwork.vifScript("vif5.0", "02:62:76:00:00:05", "10.137.0.1", "10.137.0.5");
        assertTrue(vif.contains("ip link add link eth0 name vif5.0 address 02:62:76:00:00:05 type macvlan mode private"), vif);
        assertTrue(vif.contains("ip address add 10.137.0.1/32 dev vif5.0"), vif);
        assertTrue(vif.contains("ip route replace 10.137.0.5/32 dev vif5.0 scope link"), vif);
        String uplink = QemuNetwork.uplinkScript("uplink0", "06:01:02:03:04:05");
        assertTrue(uplink.contains("ip link add link eth0 name uplink0 address 06:01:02:03:04:05 type macvlan mode private"), uplink);
        assertFalse(uplink.contains("uplink0 up"), "left down for the role: " + uplink);
    }
}
