package dev.bulkhead.example.dns.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import dev.bulkhead.api.InvalidValueException;

/**
 * The domain names the filter answers with NXDOMAIN, checked, lower case, without repeats. Blocking
 * a name blocks every name under it, so {@code ads.test} covers {@code x.ads.test} too. Only
 * letters, digits, {@code -}, {@code _} and dots pass, so nothing else can reach dnsmasq's
 * configuration.
 */
record BlockList(List<String> names) {
    static final String SETTING = "block";
    static final String ACCEPTED = "a domain name such as ads.test: labels of 1 to 63 letters, digits, '-' or '_', not"
            + " beginning or ending with '-', joined by dots, at most 253 characters in all; it blocks the name and every"
            + " name under it (no wildcards)";
    private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");

    BlockList {
        names = List.copyOf(names);
    }

    /**
     * The list from its text form: names separated by commas, blanks around them ignored.
     *
     * @throws InvalidValueException naming the first entry that is not a domain name
     */
    static BlockList parse(String text) {
        Set<String> names = new LinkedHashSet<>();
        for (String entry : text.split(",", -1)) {
            if (!entry.isBlank()) {
                names.add(name(entry.strip()));
            }
        }
        return new BlockList(new ArrayList<>(names));
    }

    /**
     * The entry as the list holds it.
     *
     * @throws InvalidValueException when it is not a domain name
     */
    static String name(String entry) {
        String name = entry.toLowerCase(Locale.ROOT);
        if (name.length() > 253) {
            throw new InvalidValueException(SETTING + " entry", entry, ACCEPTED);
        }
        for (String label : name.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                throw new InvalidValueException(SETTING + " entry", entry, ACCEPTED);
            }
        }
        return name;
    }

    /** This list with {@code more} added at the end (those it holds already stay where they are). */
    BlockList with(List<String> more) {
        Set<String> all = new LinkedHashSet<>(names);
        more.forEach(n -> all.add(name(n)));
        return new BlockList(new ArrayList<>(all));
    }

    /** This list without {@code fewer}. */
    BlockList without(List<String> fewer) {
        Set<String> gone = new LinkedHashSet<>();
        fewer.forEach(n -> gone.add(name(n)));
        return new BlockList(names.stream().filter(n -> !gone.contains(n)).toList());
    }

    /** The text form, as the {@value #SETTING} setting holds it. */
    String text() {
        return String.join(",", names);
    }
}
