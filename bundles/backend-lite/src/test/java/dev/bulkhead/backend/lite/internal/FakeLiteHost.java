package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.testing.FakeHostCommands;
import dev.bulkhead.volume.store.FileTrees;

/**
 * The recording fake, acting out the few effects the backend looks for on disk for every command no
 * scripted answer matches: {@code ip netns add/delete} create and remove the namespace file,
 * {@code runc run} and {@code runc delete} create and remove the container's state directory, {@code cp}
 * copies, {@code mount -t overlay} copies its lower directory onto the mount point (what the qube sees
 * there at first), and, given a proc directory, {@code mount} and {@code umount} add and remove lines of
 * its {@code self/mountinfo}.
 */
final class FakeLiteHost extends FakeHostCommands {
    private final Path netnsDirectory;
    private final Path runcRoot;
    private Path mountinfo;
    private int mountIds = 100;
    /** Bind mounts made: mount point to the directory bound there. */
    private final java.util.Map<Path, Path> binds = new java.util.HashMap<>();

    FakeLiteHost(Path netnsDirectory, Path runcRoot) {
        this.netnsDirectory = netnsDirectory;
        this.runcRoot = runcRoot;
        otherwise(c -> {
            actOut(c.argv());
            return ok("");
        });
    }

    /** Keeps a mount table in {@code proc/self/mountinfo} that {@code mount} and {@code umount} change. */
    FakeLiteHost withMountTable(Path proc) {
        mountinfo = proc.resolve("self").resolve("mountinfo");
        try {
            Files.createDirectories(mountinfo.getParent());
            Files.writeString(mountinfo, "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** The mount points in the fake mount table, in mount order. */
    List<String> mountPoints() {
        try {
            return Files.readAllLines(mountinfo).stream().map(l -> l.split(" ")[4]).skip(1).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public FakeLiteHost answer(String fragment, HostCommandResult result) {
        super.answer(fragment, result);
        return this;
    }

    @Override
    public FakeLiteHost answer(String fragment, Function<HostCommand, HostCommandResult> reply) {
        super.answer(fragment, reply);
        return this;
    }

    private void actOut(List<String> argv) {
        try {
            if (argv.size() == 4 && argv.subList(0, 3).equals(List.of("ip", "netns", "add"))) {
                Files.createDirectories(netnsDirectory);
                Files.createFile(netnsDirectory.resolve(argv.get(3)));
            } else if (argv.size() == 4 && argv.subList(0, 3).equals(List.of("ip", "netns", "delete"))) {
                Files.delete(netnsDirectory.resolve(argv.get(3)));
            } else if (argv.get(0).equals("cp")) {
                copy(throughBinds(Path.of(argv.get(argv.size() - 2))), Path.of(argv.get(argv.size() - 1)));
            } else if (argv.get(0).equals("mount") && argv.contains("--bind") && !argv.contains("--make-shared")) {
                binds.put(Path.of(argv.get(argv.size() - 1)), Path.of(argv.get(argv.size() - 2)));
            } else if (argv.get(0).equals("mount") && mountinfo != null) {
                if (argv.contains("overlay")) {
                    String lower = argv.get(argv.indexOf("-o") + 1).split(",")[0].substring("lowerdir=".length());
                    copy(Path.of(lower), Path.of(argv.get(argv.size() - 1)));
                }
                String type = argv.contains("-t") ? argv.get(argv.indexOf("-t") + 1) : "none";
                Files.writeString(mountinfo, (mountIds++) + " 22 0:99 / " + argv.get(argv.size() - 1) + " rw shared:9 - " + type
                        + " " + argv.get(argv.size() - 2) + " rw\n", StandardOpenOption.APPEND);
            } else if (argv.get(0).equals("umount") && mountinfo == null) {
                argv.subList(1, argv.size()).forEach(m -> binds.remove(Path.of(m)));
            } else if (argv.get(0).equals("umount") && mountinfo != null) {
                argv.subList(1, argv.size()).forEach(m -> binds.remove(Path.of(m)));
                List<String> lines = new ArrayList<>(Files.readAllLines(mountinfo));
                lines.removeIf(l -> argv.subList(1, argv.size()).contains(l.split(" ")[4]));
                Files.write(mountinfo, lines);
            } else if (argv.contains("run")) {
                Files.createDirectories(runcRoot.resolve(argv.get(argv.size() - 1)));
            } else if (argv.contains("delete") && argv.contains("--force")) {
                FileTrees.deleteRecursively(runcRoot.resolve(argv.get(argv.size() - 1)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A path below a bind mount's mount point, as the path below the directory bound there. */
    private Path throughBinds(Path path) {
        for (var bind : binds.entrySet()) {
            if (path.startsWith(bind.getKey())) {
                return bind.getValue().resolve(bind.getKey().relativize(path).toString());
            }
        }
        return path;
    }

    private static void copy(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                // cp --no-target-directory copies a directory into one that exists
                if (!(Files.isDirectory(target, java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))) {
                    Files.copy(p, target, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
    }

    /** Appends text to the command's output file, as a detached runc writes its errors there. */
    static void appendToOutput(HostCommand command, String text) {
        try {
            Files.writeString(command.output(), text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
