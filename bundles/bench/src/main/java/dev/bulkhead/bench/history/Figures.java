package dev.bulkhead.bench.history;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The figures of a bench result, flattened to dotted paths ({@code qube_start_ms.p50}), and which way each is better.
 * The direction comes from the names {@code bench:run} gives its figures: times ({@code *_ms}, {@code *_s}, {@code p50}, {@code max}),
 * memory ({@code *_mb}, {@code *_kb}), a time as a multiple of its floor ({@code ratio_p50}) and failures are better
 * lower; throughputs ({@code *_mb_per_s}, {@code *_mbit_s}, {@code *_mb_s}, {@code frames_per_s_*}), a throughput as a
 * share of its floor ({@code ratio}) and qubes started are better higher. Run sizes and targets ({@code rounds},
 * {@code qubes}, {@code target_*}) are settings, not figures.
 */
final class Figures {
    /** Which way a figure is better, or that it is a setting of the run. */
    enum Direction {
        LOWER_IS_BETTER, HIGHER_IS_BETTER, SETTING, UNKNOWN
    }

    private static final Set<String> SETTINGS = Set.of("rounds", "qubes", "samples", "calls", "keys", "seconds", "stream_mib", "bytes",
            "response_bytes", "tries", "fileinstall_poll_ms", "samples_on_dom0", "running_qubes", "running_at_n", "parallel_qubes");
    private static final List<String> THROUGHPUT = List.of("throughput", "_mb_per_s", "_mbit_s", "_mb_s", "frames_per_s");
    private static final List<String> SIZES = List.of("_ms", "_s", "_mb", "_kb");

    private Figures() {
    }

    /** The numeric leaves of a result, the run's facts left out, by dotted path in the order they appear. */
    static Map<String, Double> numbers(JsonNode root) {
        Map<String, Double> out = new LinkedHashMap<>();
        walk(root, "", out, null);
        return out;
    }

    /** The text leaves (backend, skipped, error, ...): arrays of text joined by "; ". */
    static Map<String, String> texts(JsonNode root) {
        Map<String, String> out = new LinkedHashMap<>();
        walk(root, "", null, out);
        return out;
    }

    private static void walk(JsonNode node, String path, Map<String, Double> numbers, Map<String, String> texts) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                if (!(path.isEmpty() && e.getKey().equals(BenchFile.RUN))) {
                    walk(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), numbers, texts);
                }
            });
        } else if (node.isNumber()) {
            if (numbers != null) {
                numbers.put(path, node.asDouble());
            }
        } else if (node.isArray()) {
            if (texts != null) {
                texts.put(path, StreamSupport.stream(node.spliterator(), false).map(JsonNode::asText).collect(Collectors.joining("; ")));
            }
        } else if (texts != null && !node.isNull()) {
            texts.put(path, node.asText());
        }
    }

    /** Which way the figure at this dotted path is better. */
    static Direction direction(String path) {
        String[] parts = path.split("\\.");
        String key = parts[parts.length - 1];
        if (SETTINGS.contains(key) || key.startsWith("target_") || key.contains("_target_") || key.endsWith("_target")) {
            return Direction.SETTING;
        }
        if (key.equals("ratio_p50") || key.equals("failed") || key.endsWith("_failed")) {
            return Direction.LOWER_IS_BETTER;
        }
        if (key.equals("ratio") || key.equals("started")) {
            return Direction.HIGHER_IS_BETTER;
        }
        for (String part : parts) {
            if (THROUGHPUT.stream().anyMatch(part::contains)) {
                return Direction.HIGHER_IS_BETTER;
            }
        }
        if (key.equals("p50") || key.equals("p99") || key.equals("max")) {
            return Direction.LOWER_IS_BETTER;
        }
        for (String part : parts) {
            if (SIZES.stream().anyMatch(part::endsWith)) {
                return Direction.LOWER_IS_BETTER;
            }
        }
        return Direction.UNKNOWN;
    }

    /** A floor: a bare host command or request measured in the same run, what the machine gives, not the platform. */
    static boolean isFloor(String path) {
        return path.substring(path.lastIndexOf('.') + 1).startsWith("floor_");
    }
}
