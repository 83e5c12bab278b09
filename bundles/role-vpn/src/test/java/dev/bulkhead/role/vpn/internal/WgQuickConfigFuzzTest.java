package dev.bulkhead.role.vpn.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.fuzz.Fuzz;

/**
 * Fuzzes the wg-quick importer: any file is a configuration or an {@link InvalidValueException}
 * naming its line, never another exception; what the role stores ({@code toWgQuick}) reads back as
 * the same; every key it keeps is one {@code wg} reads (canonical base64 of 32 bytes). The corpus
 * beside this class replays each hostile case found so far, one file per case.
 */
class WgQuickConfigFuzzTest {
    private static final List<String> VALID = WgQuickConfigTest.FILE.lines().toList();

    @Test
    void anyFileIsAConfigurationOrARefusalByLineAndReadsBack() {
        Fuzz.forAll(20261204L, 1500, WgQuickConfigFuzzTest::file, WgQuickConfigFuzzTest::importOrRefuse);
    }

    @TestFactory
    Stream<DynamicTest> everyCorpusCaseIsAConfigurationOrARefusal() {
        assertTrue(Fuzz.corpusFiles(WgQuickConfigFuzzTest.class, "corpus").size() >= 10, "the corpus is there");
        return Fuzz.corpus(WgQuickConfigFuzzTest.class, "corpus", bytes -> importOrRefuse(new String(bytes, StandardCharsets.UTF_8)));
    }

    /** The twin of the canonical-key check above: the real wg refuses the key Java's decoder takes, and takes the canonical one. */
    @Test
    void theRealWgRefusesAKeyWhoseLastCharacterCarriesExtraBits() throws IOException, InterruptedException {
        String loose = WgQuickConfigTest.PRIVATE.substring(0, 42) + "B=";

        assertEquals(32, Base64.getDecoder().decode(loose).length, "Java decodes it");
        assertEquals(1, wgPubkey(loose));
        assertEquals(0, wgPubkey(WgQuickConfigTest.PRIVATE));
    }

    private static int wgPubkey(String key) throws IOException, InterruptedException {
        Process wg = new ProcessBuilder("wg", "pubkey").redirectErrorStream(true).start();
        try (var in = wg.getOutputStream()) {
            in.write((key + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        wg.getInputStream().readAllBytes();
        assertTrue(wg.waitFor(10, TimeUnit.SECONDS), "wg pubkey ends");
        return wg.exitValue();
    }

    private static void importOrRefuse(String text) {
        WgQuickConfig config;
        try {
            config = WgQuickConfig.parse(text);
        } catch (InvalidValueException e) {
            assertTrue(e.getMessage().startsWith("invalid wg-quick "), e.getMessage());
            return;
        }
        String stored = config.toWgQuick();
        assertEquals(stored, WgQuickConfig.parse(stored).toWgQuick());
        for (String line : stored.lines().toList()) {
            int eq = line.indexOf(" = ");
            if (eq > 0 && line.substring(0, eq).endsWith("Key")) {
                String key = line.substring(eq + 3);
                assertEquals(key, Base64.getEncoder().encodeToString(Base64.getDecoder().decode(key)), "a key wg reads: " + line);
            }
            if (line.startsWith("Address = ") || line.startsWith("AllowedIPs = ")) {
                for (String cidr : line.substring(eq + 3).split(", ")) {
                    assertTrue(isAddressLiteral(cidr.substring(0, cidr.indexOf('/'))), "an address wg reads: " + line);
                }
            }
        }
    }

    /** Whether the text is an IPv4 or IPv6 address as inet_pton reads it; never a name to look up. */
    private static boolean isAddressLiteral(String address) {
        if (address.isEmpty() || Character.digit(address.charAt(0), 16) < 0 && address.charAt(0) != ':') {
            return false;
        }
        try {
            java.net.InetAddress.getByName(address);
            return true;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    // ---- generators ------------------------------------------------------------------------------

    /** The provider's file as it is, with lines edited, with lines and then characters edited, or random text. */
    private static String file(Random r) {
        return switch (r.nextInt(10)) {
            case 0 -> WgQuickConfigTest.FILE;
            case 1, 2, 3, 4, 5 -> lineEdits(r);
            case 6, 7, 8 -> charEdit(r, lineEdits(r));
            default -> Fuzz.hostileString(r, 200);
        };
    }

    private static final List<String> LINES = List.of(
            "PrivateKey = " + WgQuickConfigTest.PRIVATE.substring(0, 42) + "B=",
            "PublicKey = " + WgQuickConfigTest.SERVER.substring(0, 42) + "R=",
            "PresharedKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "PublicKey = AAAA", "PrivateKey = ====", "Address = 10.0.0.1/33", "Address = 10.0.0.1/032", "Address = ::::/128", "Address = 10.0.0.2/32, :::::/128", "AllowedIPs = 0.0.0.0/0, .:/0", "AllowedIPs = 1::2::3/64",
            "Address = 300.1.1.1", "Address = , , 10.0.0.2", "DNS = -", "DNS = .", "DNS = example..com", "MTU = 99999", "MTU = 0576",
            "ListenPort = 65536", "ListenPort = 0", "AllowedIPs = 0.0.0.0/0", "AllowedIPs =", "Endpoint = [::1]:51820",
            "Endpoint = vpn.example:51820", "Endpoint = 1.2.3.4", "Endpoint = 1.2.3.4:0", "Endpoint = 1.2.3.4:051820",
            "PersistentKeepalive = off", "PersistentKeepalive = OFF", "PostUp = iptables -F", "Table = off", "FwMark = 1",
            "SaveConfig = true", "[Interface]", "[Peer]", "[peer]", "[Other]", "[", "=", "= value", "# comment", "key = value # x",
            "\uFEFF[Interface]", "Address = 10.0.0.2/32\r");

    /** The provider's file with one to four lines replaced, removed, repeated or added from a pool of near-valid and hostile lines. */
    private static String lineEdits(Random r) {
        List<String> file = new ArrayList<>(VALID);
        for (int edits = 1 + r.nextInt(4); edits > 0; edits--) {
            String line = r.nextBoolean() ? Fuzz.oneOf(r, LINES) : Fuzz.hostileString(r, 40);
            int at = r.nextInt(101) % file.size();
            switch (r.nextInt(4)) {
                case 0 -> file.set(at, line);
                case 1 -> file.remove(at);
                case 2 -> file.add(at, file.get(at));
                default -> file.add(at, line);
            }
            if (file.isEmpty()) {
                file.add(line);
            }
        }
        return String.join("\n", file);
    }

    /** One character inserted, removed or replaced. */
    private static String charEdit(Random r, String text) {
        char c = switch (r.nextInt(3)) {
            case 0 -> (char) r.nextInt(0x80);
            case 1 -> (char) r.nextInt(0x10000);
            default -> Fuzz.oneOf(r, '=', '#', '[', ']', ',', '/', ':', '\n', '\r', '\0', '\u2028', '\u00a0');
        };
        int i = text.isEmpty() ? 0 : r.nextInt(10_001) % text.length();
        return switch (r.nextInt(3)) {
            case 0 -> text.substring(0, i) + c + text.substring(i);
            case 1 -> text.isEmpty() ? text : text.substring(0, i) + text.substring(i + 1);
            default -> text.isEmpty() ? String.valueOf(c) : text.substring(0, i) + c + text.substring(i + 1);
        };
    }
}
