package dev.bulkhead.bench.history;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.bench.history.BenchFile.BadBenchFile;

/**
 * {@code bin/bench}'s history, run outside the framework (plain JDK and Jackson):
 * <ul>
 * <li>{@code facts --home HOME [--options TEXT]}: prints the run's facts (commit, time, machine, load now) as JSON;</li>
 * <li>{@code record --facts FILE --figures FILE --out DIR}: writes {@code DIR/bench-<time>-<commit>.json}, the
 * figures with the facts under {@code run}, and prints its path;</li>
 * <li>{@code check FILE}: says why a file is no bench result, or nothing;</li>
 * <li>{@code compare [--threshold PERCENT] OLD NEW}: prints each figure's change.</li>
 * </ul>
 * Exit status 0 when done, 1 for a bad file, 2 for a bad command line.
 */
public final class BenchHistory {
    static final double DEFAULT_THRESHOLD = 10;
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final PrintStream out;
    private final PrintStream err;

    BenchHistory(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(new BenchHistory(new PrintStream(System.out, true, StandardCharsets.UTF_8), System.err).run(List.of(args)));
    }

    int run(List<String> args) {
        try {
            if (args.isEmpty()) {
                throw new IllegalArgumentException("no command");
            }
            List<String> rest = args.subList(1, args.size());
            switch (args.get(0)) {
                case "facts" -> facts(rest);
                case "record" -> record(rest);
                case "check" -> BenchFile.read(Path.of(single(rest, "check FILE")));
                case "compare" -> compare(rest);
                default -> throw new IllegalArgumentException("unknown command '" + args.get(0) + "'");
            }
            return 0;
        } catch (BadBenchFile e) {
            err.println("bench: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("bench: " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException e) {
            err.println("bench: " + e.getMessage()
                    + "; usage: facts --home HOME [--options TEXT] | record --facts FILE --figures FILE --out DIR | check FILE"
                    + " | compare [--threshold PERCENT] OLD NEW");
            return 2;
        }
    }

    private void facts(List<String> args) throws IOException {
        Options o = Options.parse(args, List.of("--home", "--options"), 0);
        ObjectNode run = MachineFacts.collect(Path.of(o.required("--home")));
        run.put("started", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        run.put("options", o.value("--options", ""));
        out.println(json().writeValueAsString(run));
    }

    private void record(List<String> args) throws IOException, BadBenchFile {
        Options o = Options.parse(args, List.of("--facts", "--figures", "--out"), 0);
        ObjectNode run = (ObjectNode) new ObjectMapper().readTree(Files.readString(Path.of(o.required("--facts"))));
        BenchFile figures = BenchFile.read(Path.of(o.required("--figures")));
        Path file = write(Path.of(o.required("--out")), run, figures.root());
        out.println(file);
    }

    /** Writes the figures, with the run's facts first, to a new file in {@code dir}; returns its path. */
    static Path write(Path dir, ObjectNode run, ObjectNode figures) throws IOException {
        ObjectNode result = new ObjectMapper().createObjectNode();
        result.set(BenchFile.RUN, run);
        figures.fields().forEachRemaining(e -> {
            if (!e.getKey().equals(BenchFile.RUN)) {
                result.set(e.getKey(), e.getValue());
            }
        });
        Files.createDirectories(dir);
        Instant started = Instant.parse(run.path("started").asText(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()));
        String commit = run.path("commit").asText(MachineFacts.UNKNOWN);
        String base = "bench-" + STAMP.format(started) + "-" + (commit.length() > 12 ? commit.substring(0, 12) : commit);
        byte[] bytes = (json().writeValueAsString(result) + "\n").getBytes(StandardCharsets.UTF_8);
        for (int n = 1;; n++) {
            Path file = dir.resolve(base + (n == 1 ? "" : "-" + n) + ".json");
            try {
                Files.write(file, bytes, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
                return file;
            } catch (FileAlreadyExistsException taken) {
                // a run in the same second: the next name
            }
        }
    }

    private void compare(List<String> args) throws BadBenchFile {
        Options o = Options.parse(args, List.of("--threshold"), 2);
        double threshold;
        try {
            threshold = Double.parseDouble(o.value("--threshold", Double.toString(DEFAULT_THRESHOLD)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--threshold takes a percentage, such as 10, not '" + o.value("--threshold", "") + "'");
        }
        if (!(threshold >= 0) || Double.isInfinite(threshold)) {
            throw new IllegalArgumentException("--threshold takes a percentage of 0 or more, not '" + o.value("--threshold", "") + "'");
        }
        BenchFile older = BenchFile.read(Path.of(o.operands().get(0)));
        BenchFile newer = BenchFile.read(Path.of(o.operands().get(1)));
        out.print(new Comparison(older, newer, threshold).render());
    }

    private static String single(List<String> args, String usage) {
        if (args.size() != 1) {
            throw new IllegalArgumentException(usage + " takes one file");
        }
        return args.get(0);
    }

    private static ObjectMapper json() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    /** Options that each take a value, and a fixed number of operands. */
    private record Options(java.util.Map<String, String> values, List<String> operands) {
        static Options parse(List<String> args, List<String> names, int operandCount) {
            java.util.Map<String, String> values = new java.util.HashMap<>();
            List<String> operands = new ArrayList<>();
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                if (names.contains(a)) {
                    if (i + 1 >= args.size()) {
                        throw new IllegalArgumentException(a + " takes a value");
                    }
                    values.put(a, args.get(++i));
                } else if (a.startsWith("--")) {
                    throw new IllegalArgumentException("unknown option '" + a + "'");
                } else {
                    operands.add(a);
                }
            }
            if (operands.size() != operandCount) {
                throw new IllegalArgumentException("expected " + operandCount + " file(s), got " + operands.size());
            }
            return new Options(values, operands);
        }

        String value(String name, String absent) {
            return values.getOrDefault(name, absent);
        }

        String required(String name) {
            String v = values.get(name);
            if (v == null) {
                throw new IllegalArgumentException(name + " is required");
            }
            return v;
        }
    }
}
