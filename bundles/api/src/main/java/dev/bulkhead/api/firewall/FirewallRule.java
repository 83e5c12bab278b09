package dev.bulkhead.api.firewall;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

import dev.bulkhead.api.InvalidValueException;

/**
 * One firewall rule of a qube, as {@code qvm-firewall} writes it. Absent fields ({@code null})
 * match anything. {@code dsthost} is a CIDR ({@code 192.0.2.0/24}, {@code 2001:db8::/32}; a bare
 * address becomes /32 or /128) or a host name resolved when the rules are applied.
 */
public record FirewallRule(Action action, Proto proto, String dsthost, PortRange dstports, Integer icmptype,
        SpecialTarget specialtarget, Instant expire, String comment) {

    public enum Action {
        ACCEPT, DROP;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Proto {
        TCP, UDP, ICMP;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum SpecialTarget {
        /** The DNS servers the qube is given (Qubes' virtual DNS addresses). */
        DNS;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A port or an inclusive range of ports. */
    public record PortRange(int first, int last) {
        public PortRange {
            if (first < 1 || last > 65535 || first > last) {
                throw new InvalidValueException("dstports", first + "-" + last, "a port N or a range N-M within 1-65535, N <= M");
            }
        }

        @Override
        public String toString() {
            return first == last ? Integer.toString(first) : first + "-" + last;
        }
    }

    /** The rule that Qubes gives a qube by default: accept everything. */
    public static final FirewallRule ACCEPT_ALL = new FirewallRule(Action.ACCEPT, null, null, null, null, null, null, null);

    private static final List<String> KEYS = List.of("action", "proto", "dsthost", "dstports", "icmptype", "specialtarget",
            "expire", "comment");
    private static final Pattern HOST_NAME = Pattern.compile(
            "(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\\.?");
    private static final Pattern IP_CHARS = Pattern.compile("[0-9a-fA-F:.]+");
    private static final Pattern NUMBER = Pattern.compile("[0-9]{1,10}");
    private static final Pattern EPOCH_SECONDS = Pattern.compile("[0-9]{1,11}");

    public FirewallRule {
        Objects.requireNonNull(action, "action");
        // whole seconds, as the text form writes them, so that a printed rule reads back the same
        expire = expire == null ? null : expire.truncatedTo(ChronoUnit.SECONDS);
        if (dstports != null && proto != Proto.TCP && proto != Proto.UDP) {
            throw new InvalidValueException("dstports", dstports.toString(), "dstports needs proto=tcp or proto=udp");
        }
        if (icmptype != null && proto != Proto.ICMP) {
            throw new InvalidValueException("icmptype", icmptype.toString(), "icmptype needs proto=icmp");
        }
        if (icmptype != null && (icmptype < 0 || icmptype > 255)) {
            throw new InvalidValueException("icmptype", icmptype.toString(), "a number from 0 to 255");
        }
        if (specialtarget != null && dsthost != null) {
            throw new InvalidValueException("specialtarget", specialtarget.toString(), "specialtarget and dsthost exclude each other");
        }
        if (comment != null && !isPrintableComment(comment)) {
            throw new InvalidValueException("comment", comment.replaceAll("[\\p{Cntrl}\\u0080-\\u009f\\u2028\\u2029]", "?"),
                    "printable characters only, not ending in white space");
        }
    }

    /**
     * The text form ends a rule at a line break and drops white space at its end, so a comment with
     * either would not read back as itself.
     */
    private static boolean isPrintableComment(String comment) {
        return !comment.isEmpty() && !Character.isWhitespace(comment.charAt(comment.length() - 1))
                && comment.chars().noneMatch(c -> Character.isISOControl(c) || c == '\u2028' || c == '\u2029');
    }

    /** Whether the rule accepts every packet: action accept and nothing to match on. */
    public boolean acceptsEverything() {
        return action == Action.ACCEPT && proto == null && dsthost == null && dstports == null && icmptype == null
                && specialtarget == null;
    }

    /**
     * Whether a qube with these rules (first match wins, then drop) may send anything anywhere, so
     * that a netvm that applies no per-qube rules loses nothing by serving it.
     *
     * @since 1.1
     */
    public static boolean restrictNothing(java.util.List<FirewallRule> rules) {
        return !rules.isEmpty() && rules.get(0).acceptsEverything();
    }

    /**
     * Whether this rule matches every packet {@code later} would match, for as long as {@code later}
     * is in force: put after this one, {@code later} never decides anything. Only what is certain
     * counts: a host name covers only the same name, and an address range neither a host name nor
     * {@code specialtarget=dns}.
     *
     * @since 1.2
     */
    public boolean covers(FirewallRule later) {
        Objects.requireNonNull(later, "later");
        if (expire != null && (later.expire == null || later.expire.isAfter(expire))) {
            return false;
        }
        if (proto != null && proto != later.proto || icmptype != null && !icmptype.equals(later.icmptype)) {
            return false;
        }
        if (dstports != null && (later.dstports == null || later.dstports.first() < dstports.first()
                || later.dstports.last() > dstports.last())) {
            return false;
        }
        if (specialtarget != null && specialtarget != later.specialtarget) {
            return false;
        }
        return dsthost == null || later.dsthost != null && hostCovers(dsthost, later.dsthost);
    }

    /**
     * The number of the first rule before {@code index} that {@linkplain #covers covers} the rule at
     * {@code index}, so that the latter can never match (first match wins); empty when there is none.
     *
     * @since 1.2
     */
    public static java.util.OptionalInt shadowing(List<FirewallRule> rules, int index) {
        FirewallRule rule = rules.get(index);
        for (int i = 0; i < index; i++) {
            if (rules.get(i).covers(rule)) {
                return java.util.OptionalInt.of(i);
            }
        }
        return java.util.OptionalInt.empty();
    }

    /** Whether the address range or name {@code outer} takes in all of {@code inner}. */
    private static boolean hostCovers(String outer, String inner) {
        if (outer.equals(inner)) {
            return true;
        }
        byte[] outerBytes = cidrBytes(outer);
        byte[] innerBytes = cidrBytes(inner);
        if (outerBytes == null || innerBytes == null || outerBytes.length != innerBytes.length) {
            return false;
        }
        int outerPrefix = Integer.parseInt(outer.substring(outer.indexOf('/') + 1));
        int innerPrefix = Integer.parseInt(inner.substring(inner.indexOf('/') + 1));
        if (innerPrefix < outerPrefix) {
            return false;
        }
        for (int i = 0; i < outerBytes.length; i++) {
            int keep = Math.max(0, Math.min(8, outerPrefix - i * 8));
            int mask = (0xff << (8 - keep)) & 0xff;
            if ((innerBytes[i] & mask) != (outerBytes[i] & mask)) {
                return false;
            }
        }
        return true;
    }

    /** The address of a CIDR in the canonical form {@link #parse} gives; {@code null} for anything else. */
    private static byte[] cidrBytes(String host) {
        try {
            if (!host.contains("/") || !parseHost(host).equals(host)) {
                return null;
            }
            // a literal, as parseHost checked: no name is looked up
            return InetAddress.getByName(host.substring(0, host.indexOf('/'))).getAddress();
        } catch (InvalidValueException | UnknownHostException e) {
            return null;
        }
    }

    /** Whether {@code dsthost} is a host name rather than an address range. */
    public boolean hasHostName() {
        return dsthost != null && !dsthost.contains("/");
    }

    /** Whether the rule has expired at {@code now}. */
    public boolean isExpired(Instant now) {
        return expire != null && !expire.isAfter(now);
    }

    /**
     * Parses the {@code qvm-firewall} text form. {@code comment=} takes the rest of the line. An
     * {@code expire=+SECONDS} is taken relative to {@code now}.
     *
     * @throws InvalidValueException naming the offending key or value
     */
    public static FirewallRule parse(String text, Instant now) {
        if (text == null || text.isBlank()) {
            throw new InvalidValueException("rule", String.valueOf(text), "at least action=accept or action=drop");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        String rest = text.strip();
        while (!rest.isEmpty()) {
            int space = rest.indexOf(' ');
            String token = space < 0 ? rest : rest.substring(0, space);
            int eq = token.indexOf('=');
            if (eq <= 0) {
                throw new InvalidValueException("rule", token, "every part is KEY=VALUE with KEY one of " + String.join(", ", KEYS));
            }
            String key = token.substring(0, eq);
            if (!KEYS.contains(key)) {
                throw new InvalidValueException("rule key", key, "one of " + String.join(", ", KEYS));
            }
            if (fields.containsKey(key)) {
                throw new InvalidValueException("rule key", key, "each key at most once");
            }
            if (key.equals("comment")) {
                fields.put(key, rest.substring(eq + 1));
                break;
            }
            fields.put(key, token.substring(eq + 1));
            rest = space < 0 ? "" : rest.substring(space + 1).stripLeading();
        }
        String action = fields.get("action");
        if (action == null) {
            throw new InvalidValueException("rule", text, "action=accept or action=drop is required");
        }
        Proto proto = fields.containsKey("proto") ? parseEnum(Proto.class, "proto", fields.get("proto"), "tcp, udp or icmp") : null;
        return new FirewallRule(parseEnum(Action.class, "action", action, "accept or drop"), proto,
                fields.containsKey("dsthost") ? parseHost(fields.get("dsthost")) : null,
                fields.containsKey("dstports") ? parsePorts(fields.get("dstports")) : null,
                fields.containsKey("icmptype") ? parseInt("icmptype", fields.get("icmptype"), "a number from 0 to 255") : null,
                fields.containsKey("specialtarget") ? parseEnum(SpecialTarget.class, "specialtarget", fields.get("specialtarget"), "dns") : null,
                fields.containsKey("expire") ? parseExpire(fields.get("expire"), now) : null,
                fields.get("comment"));
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, String key, String value, String accepted) {
        for (E e : type.getEnumConstants()) {
            if (e.toString().equals(value)) {
                return e;
            }
        }
        throw new InvalidValueException(key, value, accepted);
    }

    private static int parseInt(String key, String value, String accepted) {
        if (!NUMBER.matcher(value).matches()) {
            throw new InvalidValueException(key, value, accepted);
        }
        long v = Long.parseLong(value);
        if (v > Integer.MAX_VALUE) {
            throw new InvalidValueException(key, value, accepted);
        }
        return (int) v;
    }

    private static PortRange parsePorts(String value) {
        String accepted = "a port N or a range N-M within 1-65535, N <= M";
        int dash = value.indexOf('-');
        int first = parseInt("dstports", dash < 0 ? value : value.substring(0, dash), accepted);
        int last = dash < 0 ? first : parseInt("dstports", value.substring(dash + 1), accepted);
        if (first < 1 || last > 65535 || first > last) {
            throw new InvalidValueException("dstports", value, accepted);
        }
        return new PortRange(first, last);
    }

    private static Instant parseExpire(String value, Instant now) {
        String accepted = "seconds since the epoch, or +SECONDS from now";
        if (value.startsWith("+")) {
            return now.plusSeconds(parseInt("expire", value.substring(1), accepted));
        }
        // wider than +SECONDS: now plus the most of those is still a time this reads back
        if (!EPOCH_SECONDS.matcher(value).matches()) {
            throw new InvalidValueException("expire", value, accepted);
        }
        return Instant.ofEpochSecond(Long.parseLong(value));
    }

    /** A CIDR in canonical form (network address, explicit prefix), or a host name in lower case. */
    static String parseHost(String value) {
        String accepted = "an IPv4 or IPv6 address with optional /prefix, or a host name";
        int slash = value.indexOf('/');
        String address = slash < 0 ? value : value.substring(0, slash);
        boolean looksNumeric = IP_CHARS.matcher(address).matches() && (address.contains(":") || address.matches("[0-9.]+"));
        if (!looksNumeric) {
            if (slash >= 0 || !HOST_NAME.matcher(value).matches() || value.matches("[0-9.]+")) {
                throw new InvalidValueException("dsthost", value, accepted);
            }
            return value.toLowerCase(Locale.ROOT);
        }
        byte[] bytes;
        try {
            if (!address.contains(":") && !isDottedQuad(address)) {
                throw new UnknownHostException(address);
            }
            // InetAddress reads a text as a literal only when it starts so; anything else it would look up by name
            if (address.contains(":") && Character.digit(address.charAt(0), 16) < 0 && address.charAt(0) != ':') {
                throw new UnknownHostException(address);
            }
            bytes = InetAddress.getByName(address).getAddress();
        } catch (UnknownHostException e) {
            throw new InvalidValueException("dsthost", value, accepted);
        }
        int max = bytes.length * 8;
        int prefix = slash < 0 ? max : parseInt("dsthost", value.substring(slash + 1), accepted);
        if (prefix > max) {
            throw new InvalidValueException("dsthost", value, "a prefix of at most " + max);
        }
        for (int i = 0; i < bytes.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            bytes[i] &= (byte) (0xff << (8 - keep));
        }
        try {
            return InetAddress.getByAddress(bytes).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new InvalidValueException("dsthost", value, accepted);
        }
    }

    private static boolean isDottedQuad(String address) {
        String[] parts = address.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String part : parts) {
            if (!part.matches("[0-9]{1,3}") || Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    /** The {@code qvm-firewall} text form; parsing it gives this rule back. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("action=").append(action);
        if (proto != null) {
            sb.append(" proto=").append(proto);
        }
        if (dsthost != null) {
            sb.append(" dsthost=").append(dsthost);
        }
        if (dstports != null) {
            sb.append(" dstports=").append(dstports);
        }
        if (icmptype != null) {
            sb.append(" icmptype=").append(icmptype);
        }
        if (specialtarget != null) {
            sb.append(" specialtarget=").append(specialtarget);
        }
        if (expire != null) {
            sb.append(" expire=").append(expire.getEpochSecond());
        }
        if (comment != null) {
            sb.append(" comment=").append(comment);
        }
        return sb.toString();
    }
}
