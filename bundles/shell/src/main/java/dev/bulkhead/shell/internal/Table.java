package dev.bulkhead.shell.internal;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** An aligned text table, as {@code qvm-ls} prints: columns padded to their widest cell. */
public final class Table {
    private final List<String[]> rows = new ArrayList<>();

    public Table(String... header) {
        if (header.length > 0) {
            rows.add(header);
        }
    }

    /** An empty or absent value, shown as qvm-ls shows it. */
    public static String dash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }

    public void row(String... cells) {
        rows.add(cells);
    }

    public void print(PrintStream out) {
        int columns = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        int[] width = new int[columns];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                sb.append(r[i]);
                if (i < r.length - 1) {
                    sb.append(" ".repeat(width[i] - r[i].length() + 2));
                }
            }
            sb.append('\n');
        }
        out.print(sb);
    }
}
