package dev.bulkhead.bench.history;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulkhead.bench.history.Figures.Direction;

/**
 * Two bench results side by side: each figure's old and new value, new/old, and a mark where it got worse (or better)
 * by more than the threshold, in the figure's own direction. Floors are marked as such and never as worse: a floor
 * that moved says the machine changed, not the platform. Settings that differ, figures only one side has and text that
 * changed (a section left out, an error) are listed after the table.
 */
public final class Comparison {
    /** One figure of either result; a side that lacks it is null. */
    public record Row(String figure, Double oldValue, Double newValue, Direction direction, boolean floor, Mark mark) {
        /** new/old, or null where it means nothing (a side missing, an old 0). */
        public Double ratio() {
            return oldValue == null || newValue == null || oldValue == 0 ? null : newValue / oldValue;
        }
    }

    /** How the figure moved against the threshold. */
    public enum Mark {
        NONE, WORSE, BETTER
    }

    private final BenchFile older;
    private final BenchFile newer;
    private final double thresholdPercent;
    private final List<Row> rows = new ArrayList<>();

    public Comparison(BenchFile older, BenchFile newer, double thresholdPercent) {
        if (!(thresholdPercent >= 0)) {
            throw new IllegalArgumentException("the threshold is a percentage of 0 or more, not " + thresholdPercent);
        }
        this.older = older;
        this.newer = newer;
        this.thresholdPercent = thresholdPercent;
        Map<String, Double> a = Figures.numbers(older.root());
        Map<String, Double> b = Figures.numbers(newer.root());
        Set<String> paths = new LinkedHashSet<>(a.keySet());
        paths.addAll(b.keySet());
        for (String path : paths) {
            Direction direction = Figures.direction(path);
            boolean floor = Figures.isFloor(path);
            rows.add(new Row(path, a.get(path), b.get(path), direction, floor, floor ? Mark.NONE : mark(a.get(path), b.get(path), direction)));
        }
    }

    /** Every figure and setting of either side, in the order of the old result then the new one's additions. */
    public List<Row> rows() {
        return rows;
    }

    /** The figures that got worse by more than the threshold. */
    public List<Row> worse() {
        return rows.stream().filter(r -> r.mark() == Mark.WORSE).toList();
    }

    private Mark mark(Double a, Double b, Direction direction) {
        if (a == null || b == null || Objects.equals(a, b)) {
            return Mark.NONE;
        }
        double limit = thresholdPercent / 100.0;
        double change = a == 0 ? Double.POSITIVE_INFINITY * Math.signum(b) : (b - a) / Math.abs(a);
        return switch (direction) {
            case LOWER_IS_BETTER -> change > limit ? Mark.WORSE : change < -limit ? Mark.BETTER : Mark.NONE;
            case HIGHER_IS_BETTER -> change < -limit ? Mark.WORSE : change > limit ? Mark.BETTER : Mark.NONE;
            default -> Mark.NONE;
        };
    }

    /** The comparison as text for a terminal. */
    public String render() {
        StringBuilder s = new StringBuilder();
        s.append("old: ").append(describe(older)).append('\n');
        s.append("new: ").append(describe(newer)).append('\n');
        String machines = machineDifference();
        if (!machines.isEmpty()) {
            s.append("note: ").append(machines).append('\n');
        }
        int width = Math.max(30, rows.stream().filter(r -> r.direction() != Direction.SETTING).mapToInt(r -> r.figure().length()).max().orElse(0));
        s.append('\n').append(String.format(Locale.ROOT, "%-" + width + "s %12s %12s %8s", "figure", "old", "new", "new/old")).append('\n');
        List<String> settings = new ArrayList<>();
        List<String> onlyOld = new ArrayList<>();
        List<String> onlyNew = new ArrayList<>();
        for (Row r : rows) {
            if (r.direction() == Direction.SETTING) {
                if (r.oldValue() != null && r.newValue() != null && !r.oldValue().equals(r.newValue())) {
                    settings.add(r.figure() + " " + number(r.oldValue()) + " -> " + number(r.newValue()));
                }
                continue;
            }
            if (r.newValue() == null) {
                onlyOld.add(r.figure());
                continue;
            }
            if (r.oldValue() == null) {
                onlyNew.add(r.figure());
                continue;
            }
            s.append(String.format(Locale.ROOT, "%-" + width + "s %12s %12s %8s  %s", r.figure(), number(r.oldValue()), number(r.newValue()),
                    r.ratio() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.ratio()), markText(r)).stripTrailing()).append('\n');
        }
        appendList(s, "settings that differ (figures compare less well)", settings);
        appendList(s, "only in the old result", bySection(onlyOld));
        appendList(s, "only in the new result", bySection(onlyNew));
        textChanges(s);
        List<Row> worse = worse();
        s.append('\n').append(worse.isEmpty() ? "no figure got worse by more than " + number(thresholdPercent) + " %"
                : worse.size() + (worse.size() == 1 ? " figure" : " figures") + " got worse by more than " + number(thresholdPercent) + " %: "
                        + String.join(", ", worse.stream().map(Row::figure).toList())).append('\n');
        return s.toString();
    }

    private String markText(Row r) {
        if (r.floor()) {
            return "(floor)";
        }
        String way = switch (r.direction()) {
            case LOWER_IS_BETTER -> "lower is better";
            case HIGHER_IS_BETTER -> "higher is better";
            default -> "direction unknown";
        };
        return switch (r.mark()) {
            case WORSE -> "WORSE " + percent(r) + ", " + way;
            case BETTER -> "better " + percent(r);
            case NONE -> r.direction() == Direction.UNKNOWN ? "(" + way + ")" : "";
        };
    }

    private static String percent(Row r) {
        if (r.oldValue() == 0) {
            return "from 0";
        }
        return String.format(Locale.ROOT, "%+.0f %%", 100 * (r.newValue() - r.oldValue()) / Math.abs(r.oldValue()));
    }

    private void textChanges(StringBuilder s) {
        Map<String, String> a = Figures.texts(older.root());
        Map<String, String> b = Figures.texts(newer.root());
        Set<String> paths = new LinkedHashSet<>(a.keySet());
        paths.addAll(b.keySet());
        List<String> changes = new ArrayList<>();
        for (String path : paths) {
            if (!Objects.equals(a.get(path), b.get(path))) {
                changes.add(path + ": " + quoted(a.get(path)) + " -> " + quoted(b.get(path)));
            }
        }
        appendList(s, "text that changed", changes);
    }

    private static String quoted(String text) {
        if (text == null) {
            return "(none)";
        }
        String one = text.replaceAll("\\s+", " ");
        return "\"" + (one.length() > 100 ? one.substring(0, 97) + "..." : one) + "\"";
    }

    /** The figures, those of a section with more than three of them in the list as the section and their count. */
    private static List<String> bySection(List<String> figures) {
        Map<String, List<String>> sections = new java.util.LinkedHashMap<>();
        figures.forEach(f -> sections.computeIfAbsent(f.contains(".") ? f.substring(0, f.indexOf('.')) : f, k -> new ArrayList<>()).add(f));
        List<String> out = new ArrayList<>();
        sections.forEach((section, in) -> {
            if (in.size() > 3) {
                out.add(section + ".* (" + in.size() + " figures)");
            } else {
                out.addAll(in);
            }
        });
        return out;
    }

    private static void appendList(StringBuilder s, String title, List<String> items) {
        if (!items.isEmpty()) {
            s.append('\n').append(title).append(":\n");
            items.forEach(i -> s.append("  ").append(i).append('\n'));
        }
    }

    /** The file, its commit, time, machine and load at start, as far as it says them. */
    static String describe(BenchFile file) {
        JsonNode run = file.run();
        if (run.isEmpty()) {
            return file.name() + " (no commit or machine recorded)";
        }
        JsonNode m = run.path("machine");
        List<String> parts = new ArrayList<>();
        parts.add("commit " + run.path("commit").asText("unknown") + (run.path("dirty").asBoolean(false) ? " (with uncommitted changes)" : ""));
        if (run.has("started")) {
            parts.add(run.path("started").asText());
        }
        if (m.has("cpu_model")) {
            parts.add(m.path("cpu_model").asText() + ", " + m.path("cores").asText("?") + " cores, " + m.path("memory_mb").asText("?") + " MB");
        }
        if (m.has("load_average")) {
            parts.add("load " + m.path("load_average").asText());
        }
        if (run.has("options") && !run.path("options").asText().isEmpty()) {
            parts.add(run.path("options").asText());
        }
        return file.name() + ": " + String.join(", ", parts);
    }

    private String machineDifference() {
        JsonNode a = older.run().path("machine");
        JsonNode b = newer.run().path("machine");
        if (a.isMissingNode() || b.isMissingNode()) {
            return "";
        }
        List<String> differ = new ArrayList<>();
        for (String fact : List.of("cpu_model", "cores", "memory_mb", "kernel", "java")) {
            if (!a.path(fact).equals(b.path(fact))) {
                differ.add(fact);
            }
        }
        return differ.isEmpty() ? "" : "the runs differ in " + String.join(", ", differ) + ": compare the ratios to floors rather than the times";
    }

    private static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.1f" : Math.abs(v) >= 1 ? "%.2f" : "%.4f", v).replaceAll("(\\.\\d*?)0+$", "$1")
                .replaceAll("\\.$", "");
    }
}
