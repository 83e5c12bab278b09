package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.bulkhead.api.AdminException;

/** The mounts of this process's mount namespace, read from {@code /proc/self/mountinfo}. */
final class MountTable {
    /** One mount: where it is, its file system type and its source (a device, or a name such as {@code tmpfs}). */
    record Mount(Path mountPoint, String type, String source) {
    }

    private final Path mountinfo;

    MountTable(Path proc) {
        this.mountinfo = proc.resolve("self").resolve("mountinfo");
    }

    /** Every mount, in the order the kernel lists them: a mount comes after the mounts it was made on. */
    List<Mount> all() {
        List<String> lines;
        try {
            lines = Files.readAllLines(mountinfo);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new AdminException("cannot read the mount table " + mountinfo + ": " + e.getMessage(), e);
        }
        List<Mount> mounts = new ArrayList<>(lines.size());
        for (String line : lines) {
            mounts.add(parse(line));
        }
        return mounts;
    }

    /** Mounts at or below the directory, latest first: the order in which they can be unmounted. */
    List<Mount> below(Path directory) {
        Path dir = directory.toAbsolutePath().normalize();
        List<Mount> found = new ArrayList<>();
        for (Mount m : all()) {
            if (m.mountPoint().startsWith(dir)) {
                found.add(0, m);
            }
        }
        return found;
    }

    /** Where a device is mounted, if it is. */
    List<Path> mountPointsOf(String device) {
        return all().stream().filter(m -> m.source().equals(device)).map(Mount::mountPoint).toList();
    }

    /**
     * A line reads {@code id parent major:minor root mountpoint options [optional fields] - type source
     * super-options}; paths escape space, tab, newline and backslash as octal.
     */
    static Mount parse(String line) {
        String[] fields = line.split(" ");
        int separator = -1;
        for (int i = 6; i < fields.length; i++) {
            if (fields[i].equals("-")) {
                separator = i;
                break;
            }
        }
        if (fields.length < 5 || separator < 0 || separator + 2 >= fields.length) {
            throw new AdminException("cannot read a line of the mount table: '" + line + "'");
        }
        return new Mount(Path.of(unescape(fields[4])), fields[separator + 1], unescape(fields[separator + 2]));
    }

    static String unescape(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 4 <= text.length() && text.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                sb.append((char) Integer.parseInt(text.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
