package dev.bulkhead.backend.xen.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeNames;

/**
 * The rules every value meets before it goes into a domain's XML. Each check names the property it refuses, and shows
 * the refused value bounded and with its control characters visible, so that a hostile value cannot flood or forge a
 * log line through the message.
 */
final class DomainValues {
    /** Least memory a domain gets: below it no Linux kernel boots. */
    static final long MIN_MEMORY_MIB = 32;
    /** Most memory of one domain: 1 TiB. */
    static final long MAX_MEMORY_MIB = 1L << 20;
    /** Most virtual processors: libxl's limit for an HVM guest. */
    static final int MAX_VCPUS = 128;
    /** Longest kernel command line: Xen's limit for a guest's (MAX_GUEST_CMDLINE). */
    static final int MAX_CMDLINE = 1024;
    /** Longest file path. */
    static final int MAX_PATH = 1024;
    static final int MAX_DISKS = 16;
    static final int MAX_INTERFACES = 8;
    /** Longest value shown in a message. */
    private static final int SHOWN = 48;

    /** Characters of a path: the portable file name set and '/', '+' and '@'. No space, quote, comma or colon. */
    private static final Pattern PATH = Pattern.compile("[A-Za-z0-9._+@/-]+");
    private static final Pattern MAC = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
            + "(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    private static final Pattern TARGET = Pattern.compile("xvd[a-p]|hd[a-d]");

    private DomainValues() {
    }

    /** A qube name (the domain's or a netvm's), by {@link QubeNames}' rules. */
    static String name(String subject, String name) {
        try {
            return QubeNames.validate(name);
        } catch (InvalidValueException e) {
            throw new InvalidValueException(subject, shown(name), "a qube name: 1 to " + QubeNames.MAX_LENGTH
                    + " letters, digits, '_', '.' or '-', starting with a letter, not reserved");
        }
    }

    /**
     * A file on the host that runs the domain: absolute, in normal form (no {@code .} or {@code ..} segment, no double
     * slash), of the portable file name characters only, and under one of {@code roots}. The check is on the path's
     * text: the file may not exist yet, or may be on a remote dom0.
     */
    static Path path(String subject, Path path, List<Path> roots) {
        String text = path.toString();
        if (text.length() > MAX_PATH || !PATH.matcher(text).matches()) {
            throw new InvalidValueException(subject, shown(text),
                    "at most " + MAX_PATH + " characters, only letters, digits and '._+@/-'");
        }
        if (!path.isAbsolute() || !path.normalize().toString().equals(text)
                || text.contains("//") || text.endsWith("/")) {
            throw new InvalidValueException(subject, shown(text), "an absolute path in normal form, without '.' or '..'");
        }
        for (Path segment : path) {
            if (segment.toString().equals("..") || segment.toString().equals(".")) {
                throw new InvalidValueException(subject, shown(text), "a path without '.' or '..'");
            }
        }
        for (Path root : roots) {
            if (path.startsWith(root) && !path.equals(root)) {
                return path;
            }
        }
        throw new InvalidValueException(subject, shown(text), "a file under " + roots);
    }

    /** A kernel command line: printable ASCII only, at most {@value #MAX_CMDLINE} characters. */
    static String cmdline(String cmdline) {
        if (cmdline.length() > MAX_CMDLINE) {
            throw new InvalidValueException("kernelopts", shown(cmdline), "at most " + MAX_CMDLINE + " characters, this has "
                    + cmdline.length());
        }
        for (int i = 0; i < cmdline.length(); i++) {
            char c = cmdline.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new InvalidValueException("kernelopts", shown(cmdline),
                        "printable ASCII only, found " + String.format("U+%04X", (int) c) + " at " + i);
            }
        }
        return cmdline;
    }

    static long memory(String subject, long mib) {
        if (mib < MIN_MEMORY_MIB || mib > MAX_MEMORY_MIB) {
            throw new InvalidValueException(subject, mib + " MiB", "from " + MIN_MEMORY_MIB + " to " + MAX_MEMORY_MIB + " MiB");
        }
        return mib;
    }

    static int vcpus(int vcpus) {
        if (vcpus < 1 || vcpus > MAX_VCPUS) {
            throw new InvalidValueException("vcpus", Integer.toString(vcpus), "from 1 to " + MAX_VCPUS);
        }
        return vcpus;
    }

    /** A unicast MAC address in lower-case colon form. */
    static String mac(String mac) {
        if (!MAC.matcher(mac).matches() || (Integer.parseInt(mac.substring(0, 2), 16) & 1) != 0) {
            throw new InvalidValueException("mac", shown(mac), "a unicast MAC address such as 00:16:3e:5e:6c:0a");
        }
        return mac;
    }

    /** An IPv4 address in dotted decimal form, without leading zeros. */
    static String ipv4(String subject, String address) {
        if (!IPV4.matcher(address).matches()) {
            throw new InvalidValueException(subject, shown(address), "an IPv4 address such as 10.137.0.10");
        }
        return address;
    }

    /** A disk's device name in the domain: {@code xvda} to {@code xvdp}, or {@code hda} to {@code hdd} (HVM). */
    static String target(String subject, String target) {
        if (!TARGET.matcher(target).matches()) {
            throw new InvalidValueException(subject, shown(target), "xvda to xvdp, or hda to hdd");
        }
        return target;
    }

    /**
     * A value as a message shows it: at most {@value #SHOWN} characters, anything but printable ASCII as {@code \\uXXXX},
     * and the length when it was cut.
     */
    static String shown(String value) {
        return shown(value, SHOWN);
    }

    /** A value as a message shows it, at most {@code max} characters of it. */
    static String shown(String value, int max) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder();
        int end = Math.min(value.length(), max);
        for (int i = 0; i < end; i++) {
            char c = value.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                out.append(c);
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        if (value.length() > max) {
            out.append("... (").append(value.length()).append(" characters)");
        }
        return out.toString();
    }
}
