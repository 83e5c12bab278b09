package dev.bulkhead.templates.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.templates.internal.tar.TarEntry;
import dev.bulkhead.templates.internal.tar.TarReader;

/**
 * Unpacks a root filesystem archive into an empty directory, refusing anything that could reach
 * outside it or that a root filesystem has no business holding: absolute paths, {@code ..}, device
 * nodes and other special files, relative symbolic links that climb out of the root, hard links to
 * anything but a file unpacked before, paths through a symbolic link, entries given twice, and more
 * bytes or entries than allowed. The first refusal stops the unpacking; the caller removes the
 * directory. Nothing is ever written through a link: parents are directories this extractor made,
 * files are created new.
 * <p>
 * An absolute symbolic link target is accepted: it is resolved inside the qube's root when the qube
 * runs, as every Debian root needs ({@code /etc/alternatives}).
 */
public final class RootExtractor {
    /**
     * How much an archive may unpack to.
     *
     * @param maxUnpackedBytes the configured most (max.unpacked.mb)
     * @param declaredBytes    what the signed manifest says it unpacks to (unpacked_size): never more is written
     */
    public record Limits(long maxUnpackedBytes, int maxEntries, long declaredBytes) {
    }

    /** Hears the unpacked bytes grow. */
    public interface Progress {
        void unpacked(long bytes);
    }

    private static final int MAX_PATH = 4096;
    private static final int MAX_COMPONENT = 255;
    private static final int MAX_LINKS = 40;

    private final Path root;
    private final Limits limits;
    private final boolean applyOwners;
    /** What this extraction made, by normalized path ({@code ""} is the root). */
    private final Map<String, TarEntry.Type> made = new HashMap<>();
    /** The targets of the symbolic links this extraction made, by normalized path. */
    private final Map<String, String> linkTargets = new HashMap<>();
    private final Map<String, TarEntry> directories = new HashMap<>();
    private long unpacked;
    private int entries;

    /**
     * @param root        an empty directory to unpack into
     * @param applyOwners whether to give entries their owners (needs root)
     */
    public RootExtractor(Path root, Limits limits, boolean applyOwners) {
        this.root = root;
        this.limits = limits;
        this.applyOwners = applyOwners;
        made.put("", TarEntry.Type.DIRECTORY);
    }

    /** Unpacks the whole archive; returns the bytes of file content unpacked. */
    public long extract(InputStream archive, Progress progress) throws IOException {
        TarReader tar = new TarReader(archive);
        for (TarEntry e = tar.next(); e != null; e = tar.next()) {
            if (++entries > limits.maxEntries()) {
                throw new AdminException("the root archive has more than " + limits.maxEntries() + " entries");
            }
            String path = normalize(e.name());
            checkParents(e.name(), path);
            TarEntry.Type before = made.get(path);
            if (before != null && !(before == TarEntry.Type.DIRECTORY && e.type() == TarEntry.Type.DIRECTORY)) {
                throw refused(e.name(), "appears twice");
            }
            switch (e.type()) {
                case DIRECTORY -> directory(path, e);
                case FILE -> file(path, e, tar.content(), progress);
                case SYMLINK -> symlink(path, e);
                case HARD_LINK -> hardLink(path, e);
                case CHAR_DEVICE, BLOCK_DEVICE -> throw refused(e.name(), "is a device node; a template may hold none");
                default -> throw refused(e.name(), "is a FIFO; a template holds only files, directories and links");
            }
        }
        finishDirectories();
        return unpacked;
    }

    /**
     * Whether the path leads to a file this extraction made, its symbolic links followed inside the root as
     * the qube will follow them (an absolute target from the root, {@code ..} stopping at it): Debian's
     * /bin/sh is /usr/bin/dash through two links.
     */
    public boolean resolvesToFile(String path) {
        Deque<String> pending = new ArrayDeque<>(List.of(path.split("/")));
        Deque<String> current = new ArrayDeque<>();
        int links = 0;
        while (!pending.isEmpty()) {
            String part = pending.pollFirst();
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                current.pollLast();
                continue;
            }
            current.addLast(part);
            String here = String.join("/", current);
            TarEntry.Type type = made.get(here);
            if (type == null) {
                return false;
            }
            if (type == TarEntry.Type.SYMLINK) {
                // the kernel's own bound on links in one lookup
                if (++links > MAX_LINKS) {
                    return false;
                }
                String target = linkTargets.get(here);
                current.pollLast();
                if (target.startsWith("/")) {
                    current.clear();
                }
                List<String> targetParts = List.of(target.split("/"));
                for (int i = targetParts.size() - 1; i >= 0; i--) {
                    pending.addFirst(targetParts.get(i));
                }
            } else if (type != TarEntry.Type.DIRECTORY && !pending.isEmpty()) {
                return false;
            }
        }
        return !current.isEmpty() && made.get(String.join("/", current)) == TarEntry.Type.FILE;
    }

    /** The path in normal form: relative, no empty or {@code .} parts; refused when absolute or with {@code ..}. */
    static String normalize(String name) {
        if (name.isEmpty() || name.length() > MAX_PATH || name.indexOf('\0') >= 0) {
            throw refused(name, "has an empty, overlong or NUL-holding path");
        }
        if (name.startsWith("/")) {
            throw refused(name, "has an absolute path");
        }
        List<String> parts = new ArrayList<>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw refused(name, "has '..' in its path");
            }
            if (part.length() > MAX_COMPONENT) {
                throw refused(name, "has a path part longer than " + MAX_COMPONENT + " bytes");
            }
            parts.add(part);
        }
        return String.join("/", parts);
    }

    /** Every parent must be a directory this extraction holds; missing ones are made. */
    private void checkParents(String name, String path) throws IOException {
        if (path.isEmpty()) {
            return;
        }
        String[] parts = path.split("/");
        StringBuilder parent = new StringBuilder();
        for (int i = 0; i < parts.length - 1; i++) {
            if (i > 0) {
                parent.append('/');
            }
            parent.append(parts[i]);
            String p = parent.toString();
            TarEntry.Type type = made.get(p);
            if (type == TarEntry.Type.SYMLINK) {
                throw refused(name, "has a path through the symbolic link '" + p + "'");
            }
            if (type == null) {
                Files.createDirectory(root.resolve(p));
                made.put(p, TarEntry.Type.DIRECTORY);
            } else if (type != TarEntry.Type.DIRECTORY) {
                throw refused(name, "has a path through the file '" + p + "'");
            }
        }
    }

    private void directory(String path, TarEntry e) throws IOException {
        if (!made.containsKey(path)) {
            Files.createDirectory(root.resolve(path));
            made.put(path, TarEntry.Type.DIRECTORY);
        }
        // owner, mode and time once everything below is unpacked: a read-only directory must still take its entries
        directories.put(path, e);
    }

    private void file(String path, TarEntry e, InputStream content, Progress progress) throws IOException {
        // refused on what the header announces, before the file exists; the bytes are counted again as they come
        checkBudget(unpacked + e.size());
        Path target = root.resolve(path);
        made.put(path, TarEntry.Type.FILE);
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            byte[] buffer = new byte[64 * 1024];
            long written = 0;
            for (int n; (n = content.read(buffer)) > 0;) {
                unpacked += n;
                checkBudget(unpacked);
                out.write(buffer, 0, n);
                written += n;
                progress.unpacked(unpacked);
            }
            if (written != e.size()) {
                throw refused(e.name(), "holds " + written + " bytes where its header says " + e.size());
            }
        }
        attributes(target, e);
    }

    private void checkBudget(long bytes) {
        if (bytes > limits.maxUnpackedBytes() || bytes < 0) {
            throw new AdminException("the root archive unpacks to more than " + limits.maxUnpackedBytes()
                    + " bytes, the most allowed (max.unpacked.mb)");
        }
        if (bytes > limits.declaredBytes()) {
            throw new AdminException("the root archive unpacks to more than the " + limits.declaredBytes()
                    + " bytes its signed manifest declares (unpacked_size)");
        }
    }

    private void symlink(String path, TarEntry e) throws IOException {
        String target = e.linkName();
        if (target.isEmpty() || target.indexOf('\0') >= 0 || target.length() > MAX_PATH) {
            throw refused(e.name(), "is a symbolic link with an empty or overlong target");
        }
        if (!target.startsWith("/") && escapes(path, target)) {
            throw refused(e.name(), "is a symbolic link to '" + target + "', which leads out of the root");
        }
        Path link = root.resolve(path);
        Files.createSymbolicLink(link, Path.of(target));
        made.put(path, TarEntry.Type.SYMLINK);
        linkTargets.put(path, target);
        if (applyOwners) {
            owners(link, e);
        }
    }

    /** Whether a relative target, taken from the link's directory, climbs above the root. */
    static boolean escapes(String linkPath, String target) {
        Deque<String> where = new ArrayDeque<>();
        String[] parts = linkPath.split("/");
        for (int i = 0; i < parts.length - 1; i++) {
            where.push(parts[i]);
        }
        for (String part : target.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (where.isEmpty()) {
                    return true;
                }
                where.pop();
            } else {
                where.push(part);
            }
        }
        return false;
    }

    private void hardLink(String path, TarEntry e) throws IOException {
        String target;
        try {
            target = normalize(e.linkName());
        } catch (AdminException bad) {
            throw refused(e.name(), "is a hard link to '" + e.linkName() + "', outside the root");
        }
        if (made.get(target) != TarEntry.Type.FILE) {
            throw refused(e.name(), "is a hard link to '" + e.linkName() + "', which is not a file unpacked before it");
        }
        Files.createLink(root.resolve(path), root.resolve(target));
        made.put(path, TarEntry.Type.FILE);
    }

    private void attributes(Path p, TarEntry e) throws IOException {
        if (applyOwners) {
            owners(p, e);
        }
        // after chown, which clears the set-user-id bit
        Files.setAttribute(p, "unix:mode", e.mode(), LinkOption.NOFOLLOW_LINKS);
        Files.setLastModifiedTime(p, FileTime.fromMillis(e.mtime() * 1000));
    }

    private static void owners(Path p, TarEntry e) throws IOException {
        if (e.uid() > Integer.MAX_VALUE || e.gid() > Integer.MAX_VALUE) {
            throw refused(e.name(), "has an owner " + e.uid() + ":" + e.gid() + " out of range");
        }
        Files.setAttribute(p, "unix:uid", (int) e.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", (int) e.gid(), LinkOption.NOFOLLOW_LINKS);
    }

    private void finishDirectories() throws IOException {
        List<String> deepestFirst = new ArrayList<>(directories.keySet());
        deepestFirst.sort(Comparator.comparingInt((String p) -> p.isEmpty() ? 0 : p.split("/").length).reversed());
        for (String path : deepestFirst) {
            attributes(root.resolve(path), directories.get(path));
        }
    }

    private static AdminException refused(String name, String why) {
        return new AdminException("archive entry '" + name.replaceAll("\\p{Cntrl}", "?") + "' " + why);
    }
}
