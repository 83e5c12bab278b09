package dev.bulkhead.role.vpn.internal;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.crypto.KeyAgreement;

import dev.bulkhead.api.InvalidValueException;

/**
 * A WireGuard configuration as wg-quick reads it, checked line by line. What sys-vpn cannot honour
 * is refused rather than ignored: hooks that would run commands, another routing table or fwmark,
 * and endpoints given by name (sys-vpn resolves no names outside its tunnel). A refusal names the
 * line; a line that holds a key is shown without it. The keys never appear in {@link #toString()}.
 */
final class WgQuickConfig {
    static final int DEFAULT_MTU = 1420;
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    private static final Pattern DOMAIN = Pattern.compile("(?=.*[A-Za-z])[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.?");
    private static final Set<String> HOOKS = Set.of("preup", "postup", "predown", "postdown");
    private static final String KEY = "a WireGuard key: 44 characters of base64 ending in '=', as wg genkey and wg pubkey print";

    /** One [Peer] section. */
    record Peer(String publicKey, String presharedKey, List<String> allowedIps, String endpoint, Integer persistentKeepalive) {
        Peer {
            allowedIps = List.copyOf(allowedIps);
        }

        @Override
        public String toString() {
            return "Peer[" + publicKey + " " + endpoint + " " + allowedIps + "]";
        }
    }

    private final String privateKey;
    private final Integer listenPort;
    private final List<String> addresses;
    private final List<String> dns;
    private final Integer mtu;
    private final List<Peer> peers;

    private WgQuickConfig(String privateKey, Integer listenPort, List<String> addresses, List<String> dns, Integer mtu, List<Peer> peers) {
        this.privateKey = privateKey;
        this.listenPort = listenPort;
        this.addresses = List.copyOf(addresses);
        this.dns = List.copyOf(dns);
        this.mtu = mtu;
        this.peers = List.copyOf(peers);
    }

    List<Peer> peers() {
        return peers;
    }

    /** The tunnel's own IPv4 addresses, as CIDR. */
    List<String> ipv4Addresses() {
        return addresses.stream().filter(a -> !a.contains(":")).toList();
    }

    /** The IPv4 DNS servers: the only DNS sys-vpn's clients reach. */
    List<String> ipv4Dns() {
        return dns.stream().filter(d -> IPV4.matcher(d).matches()).toList();
    }

    /** What the peers carry in IPv4: routed through the tunnel, and nothing else is routed at all. */
    List<String> ipv4AllowedIps() {
        return peers.stream().flatMap(p -> p.allowedIps().stream()).filter(a -> !a.contains(":")).distinct().toList();
    }

    int mtu() {
        return mtu == null ? DEFAULT_MTU : mtu;
    }

    /** The public key that belongs to the private key: what the VPN server knows this tunnel by. */
    String publicKey() {
        try {
            byte[] scalar = Base64.getDecoder().decode(privateKey);
            KeyFactory keys = KeyFactory.getInstance("X25519");
            PrivateKey own = keys.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar));
            // X25519 of the private key and the base point u = 9 is the public key
            PublicKey basePoint = keys.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, BigInteger.valueOf(9)));
            KeyAgreement agreement = KeyAgreement.getInstance("X25519");
            agreement.init(own);
            agreement.doPhase(basePoint, true);
            return Base64.getEncoder().encodeToString(agreement.generateSecret());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime since 11 has X25519", e);
        }
    }

    /** The configuration as wg-quick writes it; what the role stores and reads back. */
    String toWgQuick() {
        StringBuilder out = new StringBuilder("[Interface]\n");
        out.append("PrivateKey = ").append(privateKey).append('\n');
        out.append("Address = ").append(String.join(", ", addresses)).append('\n');
        if (!dns.isEmpty()) {
            out.append("DNS = ").append(String.join(", ", dns)).append('\n');
        }
        if (mtu != null) {
            out.append("MTU = ").append(mtu).append('\n');
        }
        if (listenPort != null) {
            out.append("ListenPort = ").append(listenPort).append('\n');
        }
        for (Peer p : peers) {
            out.append("\n[Peer]\n");
            appendPeer(out, p);
        }
        return out.toString();
    }

    /** What {@code wg setconf} reads: the keys, the peers, and the mark that routes the tunnel's own packets outside it. */
    String toWgSetconf(int fwmark) {
        StringBuilder out = new StringBuilder("[Interface]\n");
        out.append("PrivateKey = ").append(privateKey).append('\n');
        if (listenPort != null) {
            out.append("ListenPort = ").append(listenPort).append('\n');
        }
        out.append("FwMark = ").append(fwmark).append('\n');
        for (Peer p : peers) {
            out.append("[Peer]\n");
            appendPeer(out, p);
        }
        return out.toString();
    }

    private static void appendPeer(StringBuilder out, Peer p) {
        out.append("PublicKey = ").append(p.publicKey()).append('\n');
        if (p.presharedKey() != null) {
            out.append("PresharedKey = ").append(p.presharedKey()).append('\n');
        }
        if (!p.allowedIps().isEmpty()) {
            out.append("AllowedIPs = ").append(String.join(", ", p.allowedIps())).append('\n');
        }
        if (p.endpoint() != null) {
            out.append("Endpoint = ").append(p.endpoint()).append('\n');
        }
        if (p.persistentKeepalive() != null) {
            out.append("PersistentKeepalive = ").append(p.persistentKeepalive()).append('\n');
        }
    }

    @Override
    public String toString() {
        return "WgQuickConfig[" + String.join(", ", addresses) + ", DNS " + dns + ", " + peers + "]";
    }

    // ---- parsing -------------------------------------------------------------------------------

    /**
     * @throws InvalidValueException naming the first line that is wrong, or the section that lacks
     *         something; nothing is kept of a refused file
     */
    static WgQuickConfig parse(String text) {
        return new Parser().parse(text);
    }

    private static final class Parser {
        private String section;
        private int sectionLine;
        private int interfaceLine;
        private String privateKey;
        private Integer listenPort;
        private Integer mtu;
        private final List<String> addresses = new ArrayList<>();
        private final List<String> dns = new ArrayList<>();
        private final List<Peer> peers = new ArrayList<>();
        private PeerBuilder peer;
        private final Set<String> seen = new HashSet<>();

        WgQuickConfig parse(String text) {
            List<String> lines = text.lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                line(i + 1, lines.get(i));
            }
            endPeer();
            if (interfaceLine == 0) {
                throw new InvalidValueException("wg-quick file", "(no [Interface])", "an [Interface] section with PrivateKey and Address");
            }
            if (privateKey == null) {
                throw missing(interfaceLine, "[Interface]", "a PrivateKey");
            }
            if (addresses.stream().allMatch(a -> a.contains(":"))) {
                throw missing(interfaceLine, "[Interface]", "an IPv4 Address, e.g. Address = 10.64.0.2/32");
            }
            if (peers.isEmpty()) {
                throw new InvalidValueException("wg-quick file", "(no [Peer])", "a [Peer] section: the VPN server");
            }
            if (peers.stream().noneMatch(p -> p.endpoint() != null)) {
                throw new InvalidValueException("wg-quick file", "(no Endpoint)", "a [Peer] with an Endpoint: sys-vpn connects to its server");
            }
            if (peers.stream().flatMap(p -> p.allowedIps().stream()).allMatch(a -> a.contains(":"))) {
                throw new InvalidValueException("wg-quick file", "(no IPv4 AllowedIPs)",
                        "a [Peer] whose AllowedIPs route IPv4 through the tunnel, e.g. AllowedIPs = 0.0.0.0/0");
            }
            return new WgQuickConfig(privateKey, listenPort, addresses, dns, mtu, peers);
        }

        private void line(int number, String raw) {
            int hash = raw.indexOf('#');
            String line = (hash < 0 ? raw : raw.substring(0, hash)).strip();
            if (line.isEmpty()) {
                return;
            }
            if (line.startsWith("[")) {
                String name = line.toLowerCase(Locale.ROOT);
                endPeer();
                if (name.equals("[interface]")) {
                    if (interfaceLine != 0) {
                        throw invalid(number, line, "one [Interface] only; the first is at line " + interfaceLine);
                    }
                    interfaceLine = number;
                    section = "interface";
                } else if (name.equals("[peer]")) {
                    section = "peer";
                    peer = new PeerBuilder(number);
                } else {
                    throw invalid(number, line, "a section [Interface] or [Peer]");
                }
                sectionLine = number;
                seen.clear();
                return;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw invalid(number, line, "Key = Value, or a section [Interface] or [Peer]");
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            String k = key.toLowerCase(Locale.ROOT);
            String shown = k.equals("privatekey") || k.equals("presharedkey") ? key + " = (hidden)" : line;
            if (section == null) {
                throw invalid(number, shown, "keys inside an [Interface] or [Peer] section");
            }
            if (value.isEmpty()) {
                throw invalid(number, shown, "a value after '='");
            }
            boolean many = Set.of("address", "dns", "allowedips").contains(k);
            if (!many && !seen.add(k)) {
                throw invalid(number, shown, key + " once per section (section at line " + sectionLine + ")");
            }
            if (section.equals("interface")) {
                interfaceKey(number, shown, key, value);
            } else {
                peerKey(number, shown, k, value);
            }
        }

        private void interfaceKey(int number, String shown, String key, String value) {
            String k = key.toLowerCase(Locale.ROOT);
            switch (k) {
                case "privatekey" -> privateKey = key(number, shown, value);
                case "listenport" -> listenPort = number(number, shown, value, 0, 65535, "a UDP port from 0 to 65535");
                case "mtu" -> mtu = number(number, shown, value, 576, 9000, "an MTU from 576 to 9000");
                case "address" -> list(value).forEach(a -> addresses.add(cidr(number, shown, a, true)));
                case "dns" -> list(value).forEach(d -> dns.add(dnsEntry(number, shown, d)));
                case "table", "fwmark" -> throw invalid(number, shown, "no " + key
                        + ": sys-vpn routes its clients through a table and mark of its own");
                case "saveconfig" -> throw invalid(number, shown, "no SaveConfig: sys-vpn keeps the configuration as imported");
                default -> {
                    if (HOOKS.contains(k)) {
                        throw invalid(number, shown, "no PreUp, PostUp, PreDown or PostDown: sys-vpn runs no commands from a configuration");
                    }
                    throw invalid(number, shown, "an [Interface] key: PrivateKey, Address, DNS, MTU or ListenPort");
                }
            }
        }

        private void peerKey(int number, String shown, String k, String value) {
            switch (k) {
                case "publickey" -> peer.publicKey = key(number, shown, value);
                case "presharedkey" -> peer.presharedKey = key(number, shown, value);
                case "allowedips" -> list(value).forEach(a -> peer.allowedIps.add(cidr(number, shown, a, false)));
                case "endpoint" -> peer.endpoint = endpoint(number, shown, value);
                case "persistentkeepalive" -> peer.keepalive = value.equalsIgnoreCase("off") ? null
                        : number(number, shown, value, 0, 65535, "off or a number of seconds from 0 to 65535");
                default -> throw invalid(number, shown, "a [Peer] key: PublicKey, PresharedKey, AllowedIPs, Endpoint or PersistentKeepalive");
            }
        }

        private void endPeer() {
            if (peer == null) {
                return;
            }
            if (peer.publicKey == null) {
                throw missing(peer.line, "[Peer]", "a PublicKey");
            }
            peers.add(new Peer(peer.publicKey, peer.presharedKey, peer.allowedIps, peer.endpoint, peer.keepalive));
            peer = null;
        }

        private static List<String> list(String value) {
            return Stream.of(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        }

        private static String key(int number, String shown, String value) {
            byte[] decoded;
            try {
                decoded = Base64.getDecoder().decode(value);
            } catch (IllegalArgumentException e) {
                throw invalid(number, shown, KEY);
            }
            // wg refuses a key whose last character carries bits beyond the 32 bytes, which Java's decoder drops
            if (decoded.length != 32 || !Base64.getEncoder().encodeToString(decoded).equals(value)) {
                throw invalid(number, shown, KEY);
            }
            return value;
        }

        private static Integer number(int number, String shown, String value, int min, int max, String accepted) {
            if (!value.matches("[0-9]{1,5}") || Integer.parseInt(value) < min || Integer.parseInt(value) > max) {
                throw invalid(number, shown, accepted);
            }
            return Integer.parseInt(value);
        }

        /** An address with its prefix length (an address alone is one host); IPv6 is kept but sys-vpn routes IPv4 only. */
        private static String cidr(int number, String shown, String value, boolean host) {
            String accepted = host ? "addresses with their prefix length, e.g. 10.64.0.2/32" : "networks, e.g. 0.0.0.0/0 or 10.64.0.0/16";
            int slash = value.indexOf('/');
            String address = slash < 0 ? value : value.substring(0, slash);
            String prefix = slash < 0 ? null : value.substring(slash + 1);
            boolean v6 = address.contains(":");
            if (!(v6 ? isIpv6Literal(address) : IPV4.matcher(address).matches())) {
                throw invalid(number, shown, accepted);
            }
            int max = v6 ? 128 : 32;
            if (prefix == null) {
                return address + "/" + max;
            }
            if (!prefix.matches("[0-9]{1,3}") || Integer.parseInt(prefix) > max) {
                throw invalid(number, shown, accepted);
            }
            return address + "/" + Integer.parseInt(prefix);
        }

        /**
         * What wg reads as an IPv6 address: wg setconf refuses the whole tunnel for one it cannot. The
         * first character keeps InetAddress on its literal parser, so that it never looks a name up.
         */
        private static boolean isIpv6Literal(String address) {
            if (!IPV6.matcher(address).matches() || Character.digit(address.charAt(0), 16) < 0 && address.charAt(0) != ':') {
                return false;
            }
            try {
                InetAddress.getByName(address);
                return true;
            } catch (UnknownHostException e) {
                return false;
            }
        }

        private static String dnsEntry(int number, String shown, String value) {
            if (IPV4.matcher(value).matches() || value.contains(":") && IPV6.matcher(value).matches() || DOMAIN.matcher(value).matches()) {
                return value;
            }
            throw invalid(number, shown, "DNS servers by IPv4 address (or search domains), e.g. DNS = 10.64.0.1");
        }

        private static String endpoint(int number, String shown, String value) {
            int colon = value.lastIndexOf(':');
            String host = colon < 0 ? value : value.substring(0, colon);
            String port = colon < 0 ? "" : value.substring(colon + 1);
            if (host.startsWith("[")) {
                throw invalid(number, shown, "an IPv4 server address and port: sys-vpn reaches its server over IPv4");
            }
            if (!IPV4.matcher(host).matches()) {
                throw invalid(number, shown, "the server's IPv4 address and port, e.g. 198.51.100.1:51820: sys-vpn resolves no names"
                        + " outside its tunnel");
            }
            if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                throw invalid(number, shown, "an IPv4 address and a UDP port from 1 to 65535, e.g. 198.51.100.1:51820");
            }
            return host + ":" + Integer.parseInt(port);
        }

        private static InvalidValueException invalid(int number, String shown, String accepted) {
            return new InvalidValueException("wg-quick line " + number, shown, accepted);
        }

        private static InvalidValueException missing(int number, String section, String what) {
            return new InvalidValueException("wg-quick line " + number, section, "the section needs " + what);
        }
    }

    private static final class PeerBuilder {
        final int line;
        String publicKey;
        String presharedKey;
        final List<String> allowedIps = new ArrayList<>();
        String endpoint;
        Integer keepalive;

        PeerBuilder(int line) {
            this.line = line;
        }
    }
}
