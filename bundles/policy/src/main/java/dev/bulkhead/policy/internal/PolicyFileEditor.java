package dev.bulkhead.policy.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.policy.PolicyStatus;
import dev.bulkhead.api.policy.PolicySyntaxException;
import dev.bulkhead.api.policy.QrexecPolicy;

/**
 * The policy directory's files for an editor. A text is checked by loading the whole directory as it would be with the
 * change, in a scratch view that changes nothing on disk, so the check throws exactly what a reload would. A save is
 * that check, then an atomic write (a hidden temporary file in the directory, synced, renamed over the file, the
 * directory synced), then the reload that puts it in force; should that reload fail (a file changed meanwhile by
 * hand), the file's previous text is put back. Only top-level files are edited, with the names the loader accepts.
 */
@Component(service = dev.bulkhead.api.policy.PolicyFiles.class)
public final class PolicyFileEditor implements dev.bulkhead.api.policy.PolicyFiles {
    /** A file an editor may write: the loader's names, ending in .policy, not hidden. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9_-][a-z0-9_.-]{0,120}\\.policy");
    static final int MAX_TEXT_BYTES = PolicyFiles.MAX_FILE_BYTES;
    private static final System.Logger LOG = System.getLogger(PolicyFileEditor.class.getName());
    private final QrexecPolicy policy;
    private final SecureRandom random = new SecureRandom();

    @Activate
    public PolicyFileEditor(@Reference QrexecPolicy policy) {
        this.policy = policy;
    }

    private Path directory() {
        return Path.of(policy.status().directory());
    }

    @Override
    public List<String> list() {
        Path dir = directory();
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> NAME.matcher(n).matches())
                    .filter(n -> Files.isRegularFile(dir.resolve(n))).sorted().toList();
        } catch (IOException e) {
            throw new AdminException("cannot list the policy directory " + dir + ": " + e.getMessage());
        }
    }

    @Override
    public String read(String file) {
        Path p = existing(file);
        try {
            byte[] content = Files.readAllBytes(p);
            return new String(content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AdminException("cannot read " + file + ": " + e.getMessage());
        }
    }

    @Override
    public void check(String file, String text) {
        name(file);
        size(text);
        PolicyFiles.load(directory(), Map.of(file, text));
    }

    @Override
    public synchronized PolicyStatus save(String file, String text) {
        check(file, text);
        Path target = directory().resolve(file);
        byte[] previous = Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) ? bytes(target) : null;
        write(target, text.getBytes(StandardCharsets.UTF_8));
        try {
            PolicyStatus s = policy.reload();
            LOG.log(System.Logger.Level.INFO, "qrexec policy file " + file + " saved (" + text.length() + " characters), "
                    + s.rules() + " rules in force");
            return s;
        } catch (RuntimeException e) {
            restore(target, previous);
            throw e;
        }
    }

    @Override
    public synchronized PolicyStatus remove(String file) {
        Path target = existing(file);
        Map<String, String> without = new HashMap<>();
        without.put(file, null);
        PolicyFiles.load(directory(), without);
        byte[] previous = bytes(target);
        try {
            Files.delete(target);
            syncDirectory(target.getParent());
        } catch (IOException e) {
            throw new AdminException("cannot remove " + file + ": " + e.getMessage());
        }
        try {
            PolicyStatus s = policy.reload();
            LOG.log(System.Logger.Level.INFO, "qrexec policy file " + file + " removed, " + s.rules() + " rules in force");
            return s;
        } catch (RuntimeException e) {
            restore(target, previous);
            throw e;
        }
    }

    private static void name(String file) {
        if (file == null || !NAME.matcher(file).matches()) {
            throw new InvalidValueException("policy file", file == null ? "null" : PolicyNames.printable(file),
                    "a file name in the policy directory: a-z, 0-9, '_', '.', '-', ending in .policy, not starting with '.'");
        }
    }

    private static void size(String text) {
        if (text == null) {
            throw new InvalidValueException("policy text", "null", "the file's text");
        }
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_TEXT_BYTES) {
            throw new InvalidValueException("policy text", bytes + " bytes", "at most " + MAX_TEXT_BYTES + " bytes");
        }
    }

    private Path existing(String file) {
        name(file);
        Path p = directory().resolve(file);
        if (!Files.isRegularFile(p)) {
            throw new InvalidValueException("policy file", file, "one of the policy files: " + String.join(", ", list()));
        }
        return p;
    }

    private static byte[] bytes(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new AdminException("cannot read " + p.getFileName() + ": " + e.getMessage());
        }
    }

    /** Writes a file whole or not at all: a hidden temporary file the loader skips, synced, renamed over it. */
    private void write(Path target, byte[] content) {
        Path dir = target.getParent();
        Path temp = dir.resolve("." + target.getFileName() + "." + HexFormat.of().formatHex(nonce()) + ".tmp");
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(content);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system cannot rename atomically", e);
            }
            syncDirectory(dir);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // the write failed already; that is what the user reads
            }
            throw new AdminException("cannot write " + target.getFileName() + ": " + e.getMessage());
        }
    }

    private byte[] nonce() {
        byte[] b = new byte[8];
        random.nextBytes(b);
        return b;
    }

    private void restore(Path target, byte[] previous) {
        try {
            if (previous == null) {
                Files.deleteIfExists(target);
                syncDirectory(target.getParent());
            } else {
                write(target, previous);
            }
        } catch (IOException | AdminException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot put back " + target.getFileName() + " after a refused reload: " + e.getMessage());
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
