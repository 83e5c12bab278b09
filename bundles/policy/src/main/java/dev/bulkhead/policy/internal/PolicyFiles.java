package dev.bulkhead.policy.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.bulkhead.api.policy.PolicySyntaxException;

/**
 * Reads a policy directory as qrexec does: its {@code *.policy} files in lexical order (a name outside
 * {@code [a-z0-9_.-]} refuses the whole policy; names starting with a dot and without the suffix are skipped),
 * comments and blank lines skipped, {@code !include FILE}, {@code !include-dir DIR} and
 * {@code !include-service SERVICE ARGUMENT FILE} followed where they stand, paths relative to the directory.
 * <p>
 * Unlike qrexec, an include may not leave the policy directory (symbolic links are followed first), circular includes
 * are an error rather than endless recursion, and the files are bounded: {@value #MAX_FILE_BYTES} bytes a file,
 * {@value #MAX_TOTAL_BYTES} in all, {@value #MAX_DEPTH} includes deep, {@value #MAX_RULES} rules.
 */
final class PolicyFiles {
    static final String SUFFIX = ".policy";
    static final int MAX_FILE_BYTES = 1 << 20;
    static final int MAX_TOTAL_BYTES = 16 << 20;
    static final int MAX_DEPTH = 16;
    static final int MAX_RULES = 100_000;
    private static final Pattern FILE_NAME = Pattern.compile("[a-z0-9_.-]+");
    private static final Pattern LINE_BREAK = Pattern.compile("\r\n|\r|\n");

    /** What was read: the rules in order and the files they came from. */
    record Loaded(List<Rule> rules, List<String> files) {
    }

    private final Path root;
    /** Top-level file names whose text is replaced ({@code null}: the file is taken away), for a check in a scratch view. */
    private final Map<String, String> overlay;
    private final List<Rule> rules = new ArrayList<>();
    private final List<String> files = new ArrayList<>();
    private final Deque<Path> reading = new ArrayDeque<>();
    private long bytes;

    private PolicyFiles(Path root, Map<String, String> overlay) {
        this.root = root;
        this.overlay = overlay;
    }

    /**
     * Reads the policy under {@code directory}; a directory that does not exist is an empty policy, which denies
     * everything.
     *
     * @throws PolicySyntaxException for the first error, naming the file and line
     */
    static Loaded load(Path directory) {
        return load(directory, Map.of());
    }

    /**
     * Reads the policy under {@code directory} as it would be with the top-level files of {@code overlay} holding the
     * given texts (a {@code null} text: without that file), changing nothing on disk: the check of an editor.
     *
     * @throws PolicySyntaxException for the first error, naming the file and line
     */
    static Loaded load(Path directory, Map<String, String> overlay) {
        if (overlay.isEmpty() && !Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            return new Loaded(List.of(), List.of());
        }
        Path real;
        try {
            real = Files.exists(directory, LinkOption.NOFOLLOW_LINKS) ? directory.toRealPath() : directory.toAbsolutePath().normalize();
        } catch (IOException e) {
            throw new PolicySyntaxException(directory.toString(), 0, "cannot read the policy directory: " + e);
        }
        if (Files.exists(real) && !Files.isDirectory(real)) {
            throw new PolicySyntaxException(directory.toString(), 0, "the policy directory is not a directory");
        }
        PolicyFiles reader = new PolicyFiles(real, overlay);
        reader.directory(real, directory.toString(), 0);
        return new Loaded(List.copyOf(reader.rules), List.copyOf(reader.files));
    }

    /** Reads a directory's policy files; {@code shown} and {@code line} name where it was asked for, for errors. */
    private void directory(Path dir, String shown, int line) {
        List<Path> policies = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> list = Files.list(dir)) {
                list.filter(p -> p.getFileName().toString().endsWith(SUFFIX) && !p.getFileName().toString().startsWith("."))
                        .filter(Files::isRegularFile).forEach(policies::add);
            } catch (IOException e) {
                throw new PolicySyntaxException(shown, line, "cannot list the directory: " + e);
            }
        }
        if (dir.equals(root)) {
            policies.removeIf(p -> overlay.containsKey(p.getFileName().toString()));
            overlay.forEach((name, text) -> {
                if (text != null) {
                    policies.add(root.resolve(name));
                }
            });
        }
        policies.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        for (Path p : policies) {
            if (!FILE_NAME.matcher(p.getFileName().toString()).matches()) {
                throw new PolicySyntaxException(name(p), 0, "invalid file name: only a-z, 0-9, '_', '.' and '-' are allowed");
            }
        }
        for (Path p : policies) {
            file(inside(p, name(p), 0), null, null, name(p), 0);
        }
    }

    /**
     * Reads one file (a real path in the directory): a policy file, or for {@code service != null} a file of
     * {@code !include-service}; {@code from} and {@code fromLine} name the directive that includes it, for errors.
     */
    private void file(Path real, String service, String argument, String from, int fromLine) {
        String name = name(real);
        if (reading.contains(real)) {
            List<String> chain = new ArrayList<>(reading.stream().map(this::name).toList());
            java.util.Collections.reverse(chain);
            throw new PolicySyntaxException(from, fromLine, "circular include: " + String.join(" -> ", chain) + " -> " + name);
        }
        if (reading.size() >= MAX_DEPTH) {
            throw new PolicySyntaxException(from, fromLine, "includes nested deeper than " + MAX_DEPTH);
        }
        String text = read(real, name);
        reading.push(real);
        files.add(name);
        String[] lines = LINE_BREAK.split(text, -1);
        for (int i = 0; i < lines.length; i++) {
            line(lines[i], name, i + 1, service, argument);
        }
        reading.pop();
    }

    private void line(String raw, String file, int line, String service, String argument) {
        String text = raw.strip();
        if (text.isEmpty() || text.startsWith("#")) {
            return;
        }
        if (service != null) {
            // the old format's spellings, as qrexec accepts them in these files
            text = text.replace("$include:", "!include ").replace('$', '@').replace(',', ' ');
        }
        List<String> words = words(text);
        if (text.startsWith("!")) {
            String directive = words.get(0);
            List<String> params = words.subList(1, words.size());
            switch (service == null ? directive : "!include".equals(directive) ? "!include-old" : "") {
                case "!include" -> file(includedFile(params, 1, file, line), null, null, file, line);
                case "!include-old" -> file(includedFile(params, 1, file, line), service, argument, file, line);
                case "!include-dir" -> {
                    Path dir = inside(resolve(params, 1, file, line), file, line);
                    if (!Files.isDirectory(dir)) {
                        throw new PolicySyntaxException(file, line, "not a directory: " + PolicyNames.printable(params.get(0)));
                    }
                    directory(dir, file, line);
                }
                case "!include-service" -> {
                    if (params.size() == 3) {
                        RuleParser.checkServiceAndArgument(params.get(0), params.get(1), file, line);
                    }
                    file(includedFile(params, 3, file, line), params.get(0), params.get(1), file, line);
                }
                default -> throw new PolicySyntaxException(file, line, "invalid directive '" + PolicyNames.printable(directive)
                        + "' (" + (service == null ? "!include, !include-dir or !include-service" : "only !include here") + ")");
            }
            return;
        }
        if (rules.size() >= MAX_RULES) {
            throw new PolicySyntaxException(file, line, "more than " + MAX_RULES + " rules");
        }
        rules.add(service == null ? RuleParser.parse(words, file, line) : RuleParser.parseService(service, argument, words, file, line));
    }

    /** The path a directive names, relative to the policy directory, once its number of parameters is checked. */
    private Path resolve(List<String> params, int count, String file, int line) {
        if (params.size() != count) {
            throw new PolicySyntaxException(file, line, "invalid number of params");
        }
        String given = params.get(count - 1);
        try {
            return root.resolve(given).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new PolicySyntaxException(file, line, "invalid path '" + PolicyNames.printable(given) + "'");
        }
    }

    /** The real path of the file a directive includes, checked to be a file in the policy directory. */
    private Path includedFile(List<String> params, int count, String file, int line) {
        Path real = inside(resolve(params, count, file, line), file, line);
        if (overlaid(real) == null && !Files.isRegularFile(real)) {
            throw new PolicySyntaxException(file, line, "not a file: " + PolicyNames.printable(params.get(count - 1)));
        }
        return real;
    }

    /** The real path, refused unless it lies in the policy directory. */
    private Path inside(Path path, String file, int line) {
        if (!path.toAbsolutePath().normalize().startsWith(root)) {
            throw new PolicySyntaxException(file, line, "include outside the policy directory: " + PolicyNames.printable(path.toString()));
        }
        String replaced = overlaid(path);
        if (replaced != null) {
            if (overlay.get(replaced) == null) {
                throw new PolicySyntaxException(file, line, "no such file or directory: " + PolicyNames.printable(replaced));
            }
            return root.resolve(replaced);
        }
        Path real;
        try {
            real = path.toRealPath();
        } catch (NoSuchFileException e) {
            throw new PolicySyntaxException(file, line, "no such file or directory: " + PolicyNames.printable(name(path)));
        } catch (IOException e) {
            throw new PolicySyntaxException(file, line, "cannot read " + PolicyNames.printable(name(path)) + ": " + e.getClass().getSimpleName());
        }
        if (!real.startsWith(root)) {
            throw new PolicySyntaxException(file, line, "include outside the policy directory: " + PolicyNames.printable(path.toString()));
        }
        return real;
    }

    /** The overlay's name for a top-level file of the policy directory that the overlay replaces, else null. */
    private String overlaid(Path path) {
        Path n = path.toAbsolutePath().normalize();
        if (!root.equals(n.getParent())) {
            return null;
        }
        String name = n.getFileName().toString();
        return overlay.containsKey(name) ? name : null;
    }

    private String read(Path real, String name) {
        String replaced = overlaid(real);
        if (replaced != null) {
            String text = overlay.get(replaced);
            bytes += text.getBytes(StandardCharsets.UTF_8).length;
            return text;
        }
        if (!Files.isRegularFile(real)) {
            throw new PolicySyntaxException(name, 0, "not a file");
        }
        byte[] content;
        try (InputStream in = Files.newInputStream(real)) {
            content = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (IOException e) {
            throw new PolicySyntaxException(name, 0, "cannot read the file: " + e.getClass().getSimpleName());
        }
        if (content.length > MAX_FILE_BYTES) {
            throw new PolicySyntaxException(name, 0, "larger than " + MAX_FILE_BYTES + " bytes");
        }
        bytes += content.length;
        if (bytes > MAX_TOTAL_BYTES) {
            throw new PolicySyntaxException(name, 0, "the policy with its includes is larger than " + MAX_TOTAL_BYTES + " bytes");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(content)).toString();
        } catch (CharacterCodingException e) {
            throw new PolicySyntaxException(name, 0, "not UTF-8 text");
        }
    }

    /** The path as messages and listings name it: relative to the policy directory when it lies in it. */
    private String name(Path p) {
        Path n = p.normalize();
        return PolicyNames.printable(n.startsWith(root) ? root.relativize(n).toString() : n.toString());
    }

    /** Words separated by any white space, as Python's {@code str.split()}. */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean space = Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
            if (space && start >= 0) {
                words.add(text.substring(start, i));
                start = -1;
            } else if (!space && start < 0) {
                start = i;
            }
        }
        if (start >= 0) {
            words.add(text.substring(start));
        }
        return words;
    }
}
