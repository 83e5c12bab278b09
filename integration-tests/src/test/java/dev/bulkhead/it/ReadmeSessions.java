package dev.bulkhead.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shell sessions of README.adoc, as {@link ReadmeIT} runs them, and the rule their shown output is
 * compared by (README, "Test it").
 *
 * <p>A session is a listing ({@code ----}) or literal ({@code ....}) block that holds a {@code g! COMMAND}
 * line or a line starting with {@code bin/}, or a {@code [source,sh]} block. In a session, each {@code g!}
 * or {@code bin/} line is a command and the lines after it, up to the next command, are its output; a
 * {@code [source,sh]} block is one script and shows no output. The block's attribute line may give it a
 * {@code role}: {@code ci} (what {@code .ci/run} does itself), {@code substitute} (run after the
 * documented substitutions) or {@code tested-elsewhere} (with {@code test=CLASS}, the test that runs it).
 */
final class ReadmeSessions {
    /** The roles a session block may carry; none means it runs as written. */
    static final List<String> ROLES = List.of("ci", "substitute", "tested-elsewhere");
    /** In an output line, any text; as a whole line, any number of lines. */
    static final String ANY = "…";
    private static final Pattern SPACES = Pattern.compile("\\s+");
    /** README.adoc of the workspace the tests run in. */
    static final Path README = Path.of(System.getProperty("bulkhead.it.workspace", "..")).toAbsolutePath().normalize().resolve("README.adoc");

    private ReadmeSessions() {
    }

    /** One command of a session and the output README shows for it. */
    record Step(int line, Kind kind, String command, List<String> expected) {
    }

    enum Kind {
        /** A {@code g!} line: a command of the shell, run through {@code bin/client -c}. */
        SHELL,
        /** A {@code bin/...} line: run by {@code sh} in the installation. */
        HOST,
        /** A whole {@code [source,sh]} block: run by {@code sh} in the installation; it shows no output. */
        SCRIPT
    }

    /** A session block: where it starts in README (the delimiter's line), its attributes and its lines. */
    record Block(int line, Map<String, String> attributes, List<String> lines) {
        String role() {
            return attributes.getOrDefault("role", "");
        }

        boolean script() {
            return "sh".equals(attributes.get("language"));
        }

        /** The block's commands with their output, after {@code substitutions} (whole words of the block's text). */
        List<Step> steps(Map<String, String> substitutions) {
            List<String> text = lines.stream().map(l -> substitute(l, substitutions)).toList();
            if (script()) {
                return List.of(new Step(line + 1, Kind.SCRIPT, String.join("\n", text), List.of()));
            }
            List<Step> steps = new ArrayList<>();
            for (int i = 0; i < text.size(); i++) {
                String l = text.get(i);
                if (l.startsWith("g! ")) {
                    steps.add(new Step(line + 1 + i, Kind.SHELL, l.substring(3), new ArrayList<>()));
                } else if (l.startsWith("bin/")) {
                    steps.add(new Step(line + 1 + i, Kind.HOST, l, new ArrayList<>()));
                } else if (steps.isEmpty()) {
                    throw new IllegalArgumentException("README.adoc:" + (line + 1 + i) + ": text before the session's first command: " + l);
                } else {
                    steps.get(steps.size() - 1).expected().add(l);
                }
            }
            return steps;
        }

        @Override
        public String toString() {
            return "README.adoc:" + line + (role().isEmpty() ? "" : " (role=" + role() + ")");
        }
    }

    /** Every session block of README.adoc's lines, in order. */
    static List<Block> parse(List<String> readme) {
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < readme.size(); i++) {
            String delimiter = readme.get(i);
            if (!delimiter.equals("----") && !delimiter.equals("....")) {
                continue;
            }
            int end = readme.subList(i + 1, readme.size()).indexOf(delimiter);
            if (end < 0) {
                throw new IllegalArgumentException("README.adoc:" + (i + 1) + ": block never closed");
            }
            List<String> lines = List.copyOf(readme.subList(i + 1, i + 1 + end));
            Map<String, String> attributes = i > 0 ? attributes(readme.get(i - 1)) : Map.of();
            Block block = new Block(i + 1, attributes, lines);
            if (block.script() || lines.stream().anyMatch(l -> l.startsWith("g! ") || l.startsWith("bin/"))) {
                blocks.add(block);
            }
            i += end + 1;
        }
        return blocks;
    }

    /**
     * The session blocks of one section of README.adoc: those between its heading line ({@code == Networking}, say)
     * and the next heading of any level, in order.
     */
    static List<Block> section(List<String> readme, String heading) {
        int start = readme.indexOf(heading);
        if (start < 0) {
            throw new IllegalArgumentException("README.adoc has no heading '" + heading + "'");
        }
        int end = start + 1;
        while (end < readme.size() && !readme.get(end).matches("={2,} \\S.*")) {
            end++;
        }
        int first = start + 1;
        int last = end;
        return parse(readme).stream().filter(b -> b.line() > first && b.line() <= last).toList();
    }

    /**
     * The session blocks README.adoc marks {@code role=tested-elsewhere} naming {@code test}: the blocks
     * that test runs itself, reading them from README so that a README that drifts fails it.
     */
    static List<Block> testedBy(String test) {
        try {
            List<Block> blocks = parse(Files.readAllLines(README)).stream().filter(b -> b.role().equals("tested-elsewhere")
                    && List.of(b.attributes().getOrDefault("test", "").split(" ")).contains(test)).toList();
            if (blocks.isEmpty()) {
                throw new IllegalStateException("README.adoc has no session block with role=tested-elsewhere,test=" + test);
            }
            return blocks;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a command printed as the rule compares it: standard output then standard error, split on newlines only. */
    static List<String> printed(String stdout, String stderr) {
        List<String> printed = new ArrayList<>(stdout.isEmpty() ? List.of() : List.of(stdout.split("\n")));
        printed.addAll(List.of(stderr.split("\n")));
        return printed;
    }

    /** An AsciiDoc block attribute line such as {@code [source,sh,role=ci]}: style, language and named attributes. */
    static Map<String, String> attributes(String line) {
        Map<String, String> attributes = new LinkedHashMap<>();
        if (!line.startsWith("[") || !line.endsWith("]")) {
            return attributes;
        }
        String[] parts = line.substring(1, line.length() - 1).split(",");
        for (int p = 0; p < parts.length; p++) {
            String part = parts[p].strip();
            int eq = part.indexOf('=');
            if (eq > 0) {
                attributes.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip().replaceAll("^\"|\"$", ""));
            } else if (p == 0) {
                attributes.put("style", part);
            } else if (p == 1) {
                attributes.put("language", part);
            }
        }
        return attributes;
    }

    private static String substitute(String line, Map<String, String> substitutions) {
        String result = line;
        for (Map.Entry<String, String> s : substitutions.entrySet()) {
            result = Pattern.compile("(?<![\\w.-])" + Pattern.quote(s.getKey()) + "(?![\\w-])").matcher(result)
                    .replaceAll(Matcher.quoteReplacement(s.getValue()));
        }
        return result;
    }

    /**
     * A line as the rule compares it: what a terminal shows of it (the text after its last carriage
     * return), without trailing spaces, every run of spaces (column padding) as one.
     */
    static String normalize(String line) {
        String shown = line.substring(line.lastIndexOf('\r') + 1);
        return SPACES.matcher(shown.strip()).replaceAll(" ");
    }

    /** Whether the printed lines are the expected ones, by the rule (see {@link #normalize} and {@link #ANY}). */
    static boolean matches(List<String> expected, List<String> printed) {
        List<String> e = expected.stream().map(ReadmeSessions::normalize).toList();
        List<String> p = new ArrayList<>(printed.stream().map(ReadmeSessions::normalize).toList());
        while (!p.isEmpty() && p.get(p.size() - 1).isEmpty()) {
            p.remove(p.size() - 1);
        }
        return matchFrom(e, 0, p, 0);
    }

    private static boolean matchFrom(List<String> expected, int e, List<String> printed, int p) {
        if (e == expected.size()) {
            return p == printed.size();
        }
        if (expected.get(e).equals(ANY)) {
            for (int skip = p; skip <= printed.size(); skip++) {
                if (matchFrom(expected, e + 1, printed, skip)) {
                    return true;
                }
            }
            return false;
        }
        return p < printed.size() && lineMatches(expected.get(e), printed.get(p)) && matchFrom(expected, e + 1, printed, p + 1);
    }

    static boolean lineMatches(String expected, String printed) {
        StringBuilder regex = new StringBuilder();
        String[] parts = expected.split(ANY, -1);
        for (int i = 0; i < parts.length; i++) {
            regex.append(i == 0 ? "" : ".*").append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL).matcher(printed).matches();
    }
}
