package dev.bulkhead.console.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.json.JsonMappers;

/**
 * The token file, {@code console/tokens.json} in the data directory: read strictly (every field
 * checked, nothing unknown, no duplicate) and written whole with owner-only mode. Whatever is wrong
 * with it is an {@link IllegalStateException} naming the file and the fault.
 */
final class ApiTokenFile {
    static final int FORMAT = 1;
    /** Far above what {@link ApiTokenStore#MAX_TOKENS} tokens take. */
    static final int MAX_BYTES = 256 * 1024;
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);
    private static final Pattern ID = Pattern.compile("[0-9a-f]{8}");
    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
    private static final Set<String> FIELDS = Set.of("id", "name", "sha256", "created", "expires", "last_used");

    private final Path file;
    private final ObjectMapper json = JsonMappers.create();

    ApiTokenFile(Path file) {
        this.file = file;
    }

    Path path() {
        return file;
    }

    /** The tokens in the file; {@link java.nio.file.NoSuchFileException} when there is none yet. */
    List<ApiToken> read() throws IOException {
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw bad("is not a regular file");
        }
        if (!OWNER_ONLY.containsAll(mode)) {
            throw bad("is open to others (" + PosixFilePermissions.toString(mode) + "); it must be rw------- (chmod 600)");
        }
        if (Files.size(file) > MAX_BYTES) {
            throw bad("is larger than " + MAX_BYTES + " bytes");
        }
        return parse(Files.readAllBytes(file));
    }

    /** The tokens in a file's bytes, checked as strictly as {@link #read}. */
    List<ApiToken> parse(byte[] bytes) {
        JsonNode root;
        try {
            root = json.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw bad("is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw bad("cannot be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw bad("must hold a JSON object with \"format\" and \"tokens\"");
        }
        only(root, Set.of("format", "tokens"), "the file");
        if (!root.path("format").isInt() || root.path("format").intValue() != FORMAT) {
            throw bad("has format " + root.get("format") + "; this console reads format " + FORMAT);
        }
        JsonNode list = root.get("tokens");
        if (list == null || !list.isArray()) {
            throw bad("must have \"tokens\" as an array");
        }
        if (list.size() > ApiTokenStore.MAX_TOKENS) {
            throw bad("holds " + list.size() + " tokens; at most " + ApiTokenStore.MAX_TOKENS + " are accepted");
        }
        List<ApiToken> tokens = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Set<String> hashes = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            ApiToken t = token(list.get(i), "token " + i);
            if (!ids.add(t.id()) || !hashes.add(t.hash())) {
                throw bad("has token " + i + " twice (id " + t.id() + ")");
            }
            tokens.add(t);
        }
        return tokens;
    }

    private ApiToken token(JsonNode n, String where) {
        if (!n.isObject()) {
            throw bad("has " + where + " that is not an object");
        }
        only(n, FIELDS, where);
        String id = text(n, "id", ID, where);
        String name = text(n, "name", NAME, where);
        String hash = text(n, "sha256", HASH, where);
        Instant created = instant(n, "created", where, false);
        return new ApiToken(id, name, hash, created, instant(n, "expires", where, true), instant(n, "last_used", where, true));
    }

    private void only(JsonNode n, Set<String> accepted, String where) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext();) {
            String field = it.next();
            if (!accepted.contains(field)) {
                throw bad("has an unknown field in " + where + ": '" + shorten(field) + "'");
            }
        }
    }

    private String text(JsonNode n, String field, Pattern pattern, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || !pattern.matcher(v.textValue()).matches()) {
            throw bad("has " + where + " with no valid \"" + field + "\" (" + pattern.pattern() + ")");
        }
        return v.textValue();
    }

    private Instant instant(JsonNode n, String field, String where, boolean optional) {
        JsonNode v = n.get(field);
        if (optional && (v == null || v.isNull())) {
            return null;
        }
        if (v == null || !v.isTextual()) {
            throw bad("has " + where + " with no \"" + field + "\" time");
        }
        try {
            return Instant.parse(v.textValue());
        } catch (DateTimeParseException e) {
            throw bad("has " + where + " whose \"" + field + "\" is not an ISO-8601 time: '" + shorten(v.textValue()) + "'");
        }
    }

    /** Written whole or not at all: a temporary file with owner-only mode, synced, then renamed over the old one. */
    void write(List<ApiToken> tokens) throws IOException {
        Path dir = file.getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + file.getFileName() + ".tmp-", "",
                PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(render(tokens));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    byte[] render(List<ApiToken> tokens) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (JsonGenerator g = json.getFactory().createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeNumberField("format", FORMAT);
            g.writeArrayFieldStart("tokens");
            for (ApiToken t : tokens) {
                g.writeStartObject();
                g.writeStringField("id", t.id());
                g.writeStringField("name", t.name());
                g.writeStringField("sha256", t.hash());
                g.writeStringField("created", t.created().toString());
                g.writeStringField("expires", t.expires() == null ? null : t.expires().toString());
                g.writeStringField("last_used", t.lastUsed() == null ? null : t.lastUsed().toString());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        out.write('\n');
        return out.toByteArray();
    }

    private IllegalStateException bad(String what) {
        return new IllegalStateException(file + " " + what);
    }

    private static String shorten(String s) {
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }
}
