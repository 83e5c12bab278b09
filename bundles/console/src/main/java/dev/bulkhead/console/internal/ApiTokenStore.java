package dev.bulkhead.console.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import dev.bulkhead.api.InvalidValueException;

/**
 * The console's API tokens: what programs send as {@code Authorization: Bearer}. A token is 32 random
 * bytes, shown once when made; the file keeps only its SHA-256, with a name, an id, when it was made,
 * when it expires and when it was last used. A revoked token fails at once. The file is written whole
 * (temporary file, synced, renamed) with owner-only mode; a file that is unreadable, open to others or
 * malformed makes every token fail and every change refuse, until it is fixed or removed.
 */
@Component(service = ApiTokenStore.class)
public final class ApiTokenStore {
    private static final System.Logger LOG = System.getLogger(ApiTokenStore.class.getName());
    /** Framework property naming the platform's data directory, where the token file lives. */
    static final String DATA_PROPERTY = "bulkhead.data";
    static final String PREFIX = "bht_";
    static final int MAX_TOKENS = 256;
    static final int MAX_NAME = 64;
    /** The last use is written at most this often per token: a busy program must not rewrite the file per request. */
    static final Duration LAST_USE_GRANULARITY = Duration.ofMinutes(1);

    private final ApiTokenFile file;
    private final SecureRandom random;
    private final Clock clock;
    private final Map<String, ApiToken> tokens = new LinkedHashMap<>();
    private String problem;

    @Activate
    public ApiTokenStore(BundleContext context) {
        this(dataDirectory(context.getProperty(DATA_PROPERTY)).resolve("console").resolve("tokens.json"), new SecureRandom(),
                Clock.systemUTC());
    }

    ApiTokenStore(Path file, SecureRandom random, Clock clock) {
        this.file = new ApiTokenFile(file);
        this.random = random;
        this.clock = clock;
        reload();
        if (problem != null) {
            LOG.log(Level.ERROR, "every API token is refused until this is fixed: " + problem);
        }
    }

    private static Path dataDirectory(String value) {
        if (value == null || value.isBlank() || !Path.of(value).isAbsolute()) {
            throw new IllegalStateException("the framework property " + DATA_PROPERTY
                    + " must name the platform's data directory by absolute path, found: " + value);
        }
        return Path.of(value);
    }

    /** A token just made: the only time its text exists outside the caller. */
    record Created(ApiToken token, String secret) {
    }

    Path path() {
        return file.path();
    }

    /** Why the tokens cannot be used now, if they cannot. */
    synchronized Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    synchronized Created create(String name, Instant expires) {
        requireUsable();
        String shownName = name == null ? "token" : name;
        if (!ApiTokenFile.NAME.matcher(shownName).matches()) {
            throw new InvalidValueException("token name", shownName,
                    "1 to " + MAX_NAME + " letters, digits and . _ @ -, starting with a letter or digit");
        }
        Instant now = clock.instant();
        if (expires != null && !expires.isAfter(now)) {
            throw new InvalidValueException("token expiry", expires.toString(), "a time after now (" + now + ")");
        }
        tokens.values().removeIf(t -> t.expiredAt(now));
        if (tokens.size() >= MAX_TOKENS) {
            throw new InvalidValueException("token count", Integer.toString(tokens.size()),
                    "at most " + MAX_TOKENS + " tokens; revoke some first");
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String secret = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        String id;
        do {
            byte[] idBytes = new byte[4];
            random.nextBytes(idBytes);
            id = HexFormat.of().formatHex(idBytes);
        } while (tokens.containsKey(id));
        ApiToken token = new ApiToken(id, shownName, hash(secret), now, expires, null);
        Map<String, ApiToken> next = new LinkedHashMap<>(tokens);
        next.put(id, token);
        write(next);
        return new Created(token, secret);
    }

    synchronized List<ApiToken> list() {
        requireUsable();
        return List.copyOf(tokens.values());
    }

    synchronized void revoke(String id) {
        requireUsable();
        if (!tokens.containsKey(id)) {
            throw new InvalidValueException("token id", id, "one of " + (tokens.isEmpty() ? "none: there are no tokens"
                    : String.join(", ", tokens.keySet())));
        }
        Map<String, ApiToken> next = new LinkedHashMap<>(tokens);
        next.remove(id);
        write(next);
    }

    /**
     * The live token the text is, if any. Every stored hash is compared, in constant time, so that the
     * answer's timing tells nothing of which tokens there are.
     */
    synchronized Optional<ApiToken> verify(String offered) {
        if (problem != null || offered == null || !offered.startsWith(PREFIX) || offered.length() > 100) {
            return Optional.empty();
        }
        byte[] offeredHash = HexFormat.of().parseHex(hash(offered));
        ApiToken match = null;
        for (ApiToken t : tokens.values()) {
            if (MessageDigest.isEqual(offeredHash, HexFormat.of().parseHex(t.hash()))) {
                match = t;
            }
        }
        Instant now = clock.instant();
        if (match == null || match.expiredAt(now)) {
            return Optional.empty();
        }
        if (match.lastUsed() == null || !match.lastUsed().plus(LAST_USE_GRANULARITY).isAfter(now)) {
            Map<String, ApiToken> next = new LinkedHashMap<>(tokens);
            next.put(match.id(), match.usedAt(now));
            try {
                write(next);
            } catch (UncheckedIOException e) {
                // The use is still valid; only its record is late.
                tokens.put(match.id(), match.usedAt(now));
            }
        }
        return Optional.of(match);
    }

    private void reload() {
        try {
            tokens.clear();
            for (ApiToken t : file.read()) {
                tokens.put(t.id(), t);
            }
            problem = null;
        } catch (NoSuchFileException e) {
            problem = null;
        } catch (IOException | IllegalStateException e) {
            tokens.clear();
            problem = e instanceof IllegalStateException ? e.getMessage() : "cannot read " + file.path() + ": " + e;
        }
    }

    private void requireUsable() {
        if (problem != null) {
            throw new IllegalStateException("the API tokens are unusable: " + problem);
        }
    }

    private void write(Map<String, ApiToken> next) {
        try {
            file.write(new ArrayList<>(next.values()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file.path() + ": " + e.getMessage(), e);
        }
        tokens.clear();
        tokens.putAll(next);
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java", e);
        }
    }
}
