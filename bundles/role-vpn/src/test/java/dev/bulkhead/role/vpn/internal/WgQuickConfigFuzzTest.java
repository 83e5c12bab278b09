package dev.bulkhead.role.vpn.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import dev.bulkhead.api.InvalidValueException;

/**
 * Fuzzes the wg-quick importer: any file is a configuration or an {@link InvalidValueException}
 * naming its line, never another exception; what the role stores ({@code toWgQuick}) reads back as
 * the same; every key it keeps is one {@code wg} reads (canonical base64 of 32 bytes). The corpus
 * beside this class replays each hostile case found so far, one file per case.
 */
class WgQuickConfigFuzzTest {
    private static final List<String> VALID = WgQuickConfigTest.FILE.lines().toList();

    @Property(tries = 1500, seed = "20261204")
    void anyFileIsAConfigurationOrARefusalByLineAndReadsBack(@ForAll("files") String text) {
        importOrRefuse(text);
    }

    @Example
    void everyCorpusCaseIsAConfigurationOrARefusal() throws IOException, URISyntaxException {
        Path dir = Path.of(WgQuickConfigFuzzTest.class.getResource("corpus").toURI());
        List<Path> cases;
        try (Stream<Path> files = Files.list(dir)) {
            cases = files.sorted().toList();
        }
        assertTrue(cases.size() >= 10, cases.toString());
        for (Path c : cases) {
            importOrRefuse(Files.readString(c, StandardCharsets.UTF_8));
        }
    }

    /** The twin of the canonical-key check above: the real wg refuses the key Java's decoder takes, and takes the canonical one. */
    @Example
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

    @Provide
    Arbitrary<String> files() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(WgQuickConfigTest.FILE)),
                Tuple.of(5, lineEdits()),
                Tuple.of(3, lineEdits().flatMap(WgQuickConfigFuzzTest::charEdits)),
                Tuple.of(1, Arbitraries.strings().ofMaxLength(200)));
    }

    /** The provider's file with lines replaced, removed, repeated or added from a pool of near-valid and hostile lines. */
    private static Arbitrary<String> lineEdits() {
        Arbitrary<String> line = Arbitraries.oneOf(Arbitraries.of(
                "PrivateKey = " + WgQuickConfigTest.PRIVATE.substring(0, 42) + "B=",
                "PublicKey = " + WgQuickConfigTest.SERVER.substring(0, 42) + "R=",
                "PresharedKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "PublicKey = AAAA", "PrivateKey = ====", "Address = 10.0.0.1/33", "Address = 10.0.0.1/032", "Address = ::::/128", "Address = 10.0.0.2/32, :::::/128", "AllowedIPs = 0.0.0.0/0, .:/0", "AllowedIPs = 1::2::3/64",
                "Address = 300.1.1.1", "Address = , , 10.0.0.2", "DNS = -", "DNS = .", "DNS = example..com", "MTU = 99999", "MTU = 0576",
                "ListenPort = 65536", "ListenPort = 0", "AllowedIPs = 0.0.0.0/0", "AllowedIPs =", "Endpoint = [::1]:51820",
                "Endpoint = vpn.example:51820", "Endpoint = 1.2.3.4", "Endpoint = 1.2.3.4:0", "Endpoint = 1.2.3.4:051820",
                "PersistentKeepalive = off", "PersistentKeepalive = OFF", "PostUp = iptables -F", "Table = off", "FwMark = 1",
                "SaveConfig = true", "[Interface]", "[Peer]", "[peer]", "[Other]", "[", "=", "= value", "# comment", "key = value # x",
                "\uFEFF[Interface]", "Address = 10.0.0.2/32\r"), Arbitraries.strings().ofMaxLength(40));
        Arbitrary<int[]> edit = Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 100))
                .as((op, at) -> new int[] { op, at });
        return Combinators.combine(edit.list().ofMinSize(1).ofMaxSize(4), line.list().ofSize(4)).as((edits, lines) -> {
            List<String> file = new ArrayList<>(VALID);
            for (int i = 0; i < edits.size(); i++) {
                int at = edits.get(i)[1] % file.size();
                switch (edits.get(i)[0]) {
                    case 0 -> file.set(at, lines.get(i));
                    case 1 -> file.remove(at);
                    case 2 -> file.add(at, file.get(at));
                    default -> file.add(at, lines.get(i));
                }
                if (file.isEmpty()) {
                    file.add(lines.get(i));
                }
            }
            return String.join("\n", file);
        });
    }

    private static Arbitrary<String> charEdits(String text) {
        Arbitrary<Character> any = Arbitraries.oneOf(Arbitraries.chars().ascii(), Arbitraries.chars(),
                Arbitraries.of('=', '#', '[', ']', ',', '/', ':', '\n', '\r', '\0', '\u2028', '\u00a0'));
        return Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 10_000), any)
                .as((op, at, c) -> {
                    int i = text.isEmpty() ? 0 : at % text.length();
                    return switch (op) {
                        case 0 -> text.substring(0, i) + c + text.substring(i);
                        case 1 -> text.isEmpty() ? text : text.substring(0, i) + text.substring(i + 1);
                        default -> text.isEmpty() ? String.valueOf(c) : text.substring(0, i) + c + text.substring(i + 1);
                    };
                });
    }
}
