package dev.bulkhead.shell.internal;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.command.CommandLine;

/** Sizes as {@code qvm-volume} reads and shows them: bytes, or a number with a decimal or binary unit. */
final class Sizes {
    private static final Pattern SIZE = Pattern.compile("([0-9]{1,19})\\s*([A-Za-z]*)");
    private static final Map<String, Long> UNITS = Map.ofEntries(Map.entry("", 1L), Map.entry("b", 1L),
            Map.entry("k", 1000L), Map.entry("kb", 1000L), Map.entry("kib", 1L << 10),
            Map.entry("m", 1000_000L), Map.entry("mb", 1000_000L), Map.entry("mib", 1L << 20),
            Map.entry("g", 1000_000_000L), Map.entry("gb", 1000_000_000L), Map.entry("gib", 1L << 30),
            Map.entry("t", 1000_000_000_000L), Map.entry("tb", 1000_000_000_000L), Map.entry("tib", 1L << 40));

    private Sizes() {
    }

    static long parse(String text) {
        String accepted = "bytes, or a number with KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)";
        Matcher m = SIZE.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new InvalidValueException("size", CommandLine.printable(String.valueOf(text)), accepted);
        }
        Long unit = UNITS.get(m.group(2).toLowerCase(Locale.ROOT));
        if (unit == null) {
            throw new InvalidValueException("size", CommandLine.printable(text), accepted);
        }
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new InvalidValueException("size", CommandLine.printable(text), "at most " + Long.MAX_VALUE + " bytes");
        }
    }

    /** The size in the largest binary unit that keeps one decimal, e.g. {@code 2.0 GiB}. */
    static String human(long bytes) {
        String[] units = { "B", "KiB", "MiB", "GiB", "TiB" };
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
