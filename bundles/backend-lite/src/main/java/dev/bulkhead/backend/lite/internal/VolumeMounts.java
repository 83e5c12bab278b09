package dev.bulkhead.backend.lite.internal;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.volume.store.VolumeCommands;
import dev.bulkhead.volume.store.VolumeFiles;

/**
 * A domain's volumes while it runs, mounted under its runtime directory: {@code volatile} (a tmpfs of
 * the volatile volume's size, which holds the writable layers of snapshot volumes), {@code root} (an
 * overlay of a snapshot root on its origin's tree) and {@code private} (the image, loop-mounted).
 * Unmounting the tmpfs at stop takes everything the domain wrote outside its kept volumes with it.
 * <p>
 * As on Qubes, a qube's {@code /home} starts as its root's {@code /home} (the template's skeleton:
 * {@code /home/user} with its dot files): copied onto the private volume when that has no
 * {@code home} yet, and never again after, or, for a qube without a private volume, onto a tmpfs
 * at each start. The copy keeps owners, modes and times and copies symbolic links as links, never
 * following one: the template is trusted less than dom0.
 * <p>
 * A qube whose root is a snapshot of its template's (an AppVM, a DispVM) has a {@code /usr/local} of
 * its own too, as on Qubes ({@code /rw/usrlocal}): the private volume's {@code usrlocal}, seeded from
 * the root's {@code /usr/local} in the same way when the volume has none. That is where a qube keeps
 * what it adds to its template, its own qrexec services in {@code /usr/local/etc/qubes-rpc} among
 * them. A TemplateVM or StandaloneVM keeps its root's, which is its own; a DispVM's goes with its
 * private volume, a snapshot; a qube on the built-in root keeps that root's.
 */
final class VolumeMounts {
    /** The directory of a private volume that the qube sees as {@code /home}. */
    static final String HOME = "home";
    /** Where the root's {@code /home} is copied to before it becomes the private volume's {@code home}. */
    private static final String HOME_SEEDING = ".home-seeding";
    /** The directory of a private volume that a qube on a snapshot root sees as {@code /usr/local}. */
    static final String USR_LOCAL = "usrlocal";
    private static final String USR_LOCAL_SEEDING = ".usrlocal-seeding";
    /** Where the root is seen, read-only and following no link, while a directory of it is copied. */
    private static final String SEED_VIEW = ".seed-view";
    /** Characters that mount option strings (comma-separated, colon-separated lower dirs) cannot carry. */
    private static final Pattern OPTION_SAFE_PATH = Pattern.compile("[^,:\\s\\\\]+");

    private final LiteVolumes storage;
    private final VolumeCommands commands;
    private final MountTable mounts;
    private final Path sysBlock;
    private final Duration timeout;

    /**
     * @param storage  the volumes' storage, which keeps revisions and makes missing images
     * @param sysBlock the host's {@code /sys/block}, where a loop device shows its backing file while it is attached
     */
    VolumeMounts(LiteVolumes storage, VolumeCommands commands, MountTable mounts, Path sysBlock, Duration timeout) {
        this.storage = storage;
        this.commands = commands;
        this.mounts = mounts;
        this.sysBlock = sysBlock;
        this.timeout = timeout;
    }

    /**
     * Mounts what the domain's volumes need under {@code runtime} and keeps revisions of its kept
     * volumes. A spec without a root volume runs on {@code builtinRoot}. On failure, whatever was
     * mounted is released again.
     */
    LiteVolumes.Prepared prepare(DomainSpec spec, Path runtime, Supplier<Path> builtinRoot) {
        try {
            Optional<VolumeSpec> root = spec.volume(VolumeSpec.ROOT);
            Optional<VolumeSpec> privateVolume = spec.volume(VolumeSpec.PRIVATE);
            boolean needsScratch = spec.volumes().stream().anyMatch(VolumeSpec::snapshot);
            Path scratch = runtime.resolve(LiteVolumes.VOLATILE_MOUNT);
            Optional<VolumeSpec> volatileVolume = spec.volume(VolumeSpec.VOLATILE);
            shareUnmounts(runtime);
            if (needsScratch || volatileVolume.isPresent()) {
                mountTmpfs(scratch, volatileVolume.map(VolumeSpec::sizeBytes).filter(s -> s > 0).orElse(LiteVolumes.DEFAULT_SCRATCH_BYTES), "0700");
            }
            Path rootDir;
            boolean rootReadOnly = true;
            if (root.isPresent()) {
                rootDir = prepareRoot(root.get(), runtime, scratch);
                rootReadOnly = root.get().readOnly();
            } else {
                rootDir = builtinRoot.get();
            }
            if (privateVolume.isPresent()) {
                Path privateMount = preparePrivate(privateVolume.get(), runtime, scratch, rootDir);
                boolean templatesRoot = root.isPresent() && root.get().snapshot();
                Path usrLocal = templatesRoot ? keptUsrLocal(privateVolume.get(), runtime, privateMount, rootDir) : null;
                return new LiteVolumes.Prepared(rootDir, rootReadOnly, privateMount, privateMount.resolve(HOME), usrLocal);
            }
            Path home = runtime.resolve(HOME);
            mountTmpfs(home, 0, "0755");
            seedFrom(rootDir, HOME, runtime, home);
            return new LiteVolumes.Prepared(rootDir, rootReadOnly, null, home, null);
        } catch (RuntimeException e) {
            try {
                release(runtime);
            } catch (AdminException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private Path prepareRoot(VolumeSpec root, Path runtime, Path scratch) {
        if (!LiteVolumes.isTree(root)) {
            throw new InvalidValueException("root volume", root.name(), "a root volume named root");
        }
        Path tree = LiteVolumes.current(root);
        if (!Files.isDirectory(tree, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidStateException("root volume " + root.source() + " has no tree at " + tree);
        }
        if (!root.snapshot()) {
            storage.keepRevision(root);
            return tree;
        }
        Path upper = VolumeFiles.createDirectories(scratch.resolve("root-upper"));
        Path work = VolumeFiles.createDirectories(scratch.resolve("root-work"));
        Path mountPoint = VolumeFiles.createDirectories(runtime.resolve(VolumeSpec.ROOT));
        commands.run("mount", "-t", "overlay", "-o",
                "lowerdir=" + optionPath(tree) + ",upperdir=" + optionPath(upper) + ",workdir=" + optionPath(work),
                "bulkhead-root", mountPoint.toString());
        return mountPoint;
    }

    private Path preparePrivate(VolumeSpec volume, Path runtime, Path scratch, Path rootDir) {
        Path image;
        if (volume.snapshot()) {
            storage.ensureImage(volume);
            image = scratch.resolve(volume.name() + ".img");
            copyFrozen(LiteVolumes.current(volume), image);
        } else if (volume.saveOnStop()) {
            storage.ensureImage(volume);
            image = LiteVolumes.current(volume);
            List<String> inUse = LiteVolumes.loopDevicesOf(commands, image);
            if (!inUse.isEmpty()) {
                throw new InvalidStateException("volume image " + image + " is in use already (" + String.join(", ", inUse)
                        + "); is its qube running in another instance?");
            }
            storage.keepRevision(volume);
        } else {
            image = scratch.resolve(volume.name() + ".img");
            commands.makeImage(image, volume.sizeBytes());
        }
        Path mountPoint = VolumeFiles.createDirectories(runtime.resolve(volume.name()));
        commands.run("mount", "-t", "ext4", "-o", "loop,nosuid,nodev" + (volume.readOnly() ? ",ro" : ""),
                image.toString(), mountPoint.toString());
        seedOnce(volume, mountPoint, HOME, HOME_SEEDING, rootDir, HOME, runtime);
        Path home = mountPoint.resolve(HOME);
        if (!Files.isDirectory(home, LinkOption.NOFOLLOW_LINKS)) {
            // the qube writes its private volume: a link there would make the bind mount of /home reach into dom0
            throw new InvalidStateException("the private volume " + volume.source() + " has a 'home' that is not a directory"
                    + " (a symbolic link or a file); a qube's /home must be a directory of its private volume");
        }
        return mountPoint;
    }

    /**
     * The private volume's {@code usrlocal}, seeded from the root's {@code /usr/local} when the volume
     * has none; {@code null} (the root's own stays) for a read-only volume that has none.
     */
    private Path keptUsrLocal(VolumeSpec volume, Path runtime, Path mountPoint, Path rootDir) {
        // never through a link of the template's: /usr or /usr/local a link would make the copy read dom0's files
        seedOnce(volume, mountPoint, USR_LOCAL, USR_LOCAL_SEEDING, rootDir, "usr/local", runtime);
        Path usrLocal = mountPoint.resolve(USR_LOCAL);
        if (volume.readOnly() && !Files.exists(usrLocal, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        if (!Files.isDirectory(usrLocal, LinkOption.NOFOLLOW_LINKS)) {
            // as for home: a link there would make the bind mount of /usr/local reach into dom0
            throw new InvalidStateException("the private volume " + volume.source() + " has a 'usrlocal' that is not a directory"
                    + " (a symbolic link or a file); a qube's /usr/local must be a directory of its private volume");
        }
        return usrLocal;
    }

    /**
     * Makes the directory {@code name} of a writable private volume that has none, with what the
     * root's directory {@code relative} holds (nothing when the root has none): copied under a
     * temporary name first, so that a start that fails while copying leaves no half-seeded directory
     * that a later start would keep.
     */
    private void seedOnce(VolumeSpec volume, Path mountPoint, String name, String seedingName, Path rootDir, String relative,
            Path runtime) {
        Path target = mountPoint.resolve(name);
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !volume.readOnly()) {
            Path seeding = mountPoint.resolve(seedingName);
            // what a start that failed while copying left
            VolumeFiles.deleteTree(seeding);
            VolumeFiles.createDirectories(seeding);
            seedFrom(rootDir, relative, runtime, seeding);
            VolumeFiles.move(seeding, target);
        }
    }

    /**
     * Copies what a directory of the root ({@code /home}, {@code /usr/local}: {@code relative} to
     * {@code rootDir}) holds into {@code target}, an existing directory, which takes the owner, mode and
     * times of the root's. A root without that directory (or with a link on the way) leaves
     * {@code target} empty. The copy reads the root through a read-only view of it mounted
     * {@code nosymfollow}: a template that is running while the qube starts may turn a directory on the
     * way into a link between the look and the copy, and the kernel then refuses the link instead of
     * letting the copy read dom0's files.
     */
    private void seedFrom(Path rootDir, String relative, Path runtime, Path target) {
        Path source = rootDir;
        for (String part : relative.split("/")) {
            source = source.resolve(part);
            if (!Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
        }
        Path view = VolumeFiles.createDirectories(runtime.resolve(SEED_VIEW));
        commands.run("mount", "--bind", "-o", "ro,nosymfollow", rootDir.toString(), view.toString());
        try {
            commands.run("cp", "-a", "--no-dereference", "--no-target-directory", view.resolve(relative).toString(), target.toString());
        } finally {
            commands.run("umount", view.toString());
            VolumeFiles.deleteTree(view);
        }
    }

    /**
     * Makes the runtime directory a shared mount on itself, so that the volumes mounted below it are
     * unmounted, when the domain stops, from every mount namespace made meanwhile that copied them
     * as slaves ({@code ip netns exec} makes such copies). A private copy would keep an image's file
     * system, and so its loop device, alive after the domain stopped.
     */
    private void shareUnmounts(Path runtime) {
        String dir = VolumeFiles.createDirectories(runtime).toString();
        commands.run("mount", "--bind", "--make-shared", dir, dir);
    }

    /**
     * Unmounts everything under the domain's runtime directory and removes the directory: the images
     * first, latest first, then, once their loop devices have let go of their files, the tmpfs and
     * the runtime directory's own mount.
     */
    void release(Path runtime) {
        Path scratch = runtime.resolve(LiteVolumes.VOLATILE_MOUNT).toAbsolutePath().normalize();
        Path own = runtime.toAbsolutePath().normalize();
        List<MountTable.Mount> images = mounts.below(runtime).stream()
                .filter(m -> !m.mountPoint().equals(scratch) && !m.mountPoint().equals(own)).toList();
        unmount(images);
        for (MountTable.Mount m : images) {
            if (m.source().startsWith("/dev/loop")) {
                awaitDetached(m.source());
            }
        }
        unmount(mounts.below(runtime));
        List<MountTable.Mount> left = mounts.below(runtime);
        if (!left.isEmpty()) {
            // deleting through a mount would delete a volume's content
            throw new AdminException("still mounted after unmounting: " + left.stream().map(m -> m.mountPoint().toString()).toList());
        }
        VolumeFiles.deleteTree(runtime);
    }

    private void unmount(List<MountTable.Mount> mounted) {
        if (!mounted.isEmpty()) {
            List<String> argv = new ArrayList<>(List.of("umount"));
            mounted.forEach(m -> argv.add(m.mountPoint().toString()));
            commands.run(argv.toArray(String[]::new));
        }
    }

    /**
     * The kernel detaches a loop device from its file a moment after the file system on it is
     * unmounted, not always at once; until then its file is in use: an image cannot be mounted
     * again, a tmpfs holding it cannot be unmounted.
     */
    private void awaitDetached(String device) {
        Path backingFile = sysBlock.resolve(Path.of(device).getFileName().toString()).resolve("loop").resolve("backing_file");
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 1;
        boolean interrupted = false;
        try {
            while (Files.exists(backingFile)) {
                if (System.nanoTime() > deadline) {
                    throw new AdminException("loop device " + device + " is still attached " + timeout.toSeconds() + " s after its"
                            + " file system was unmounted");
                }
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException e) {
                    // a release cut off here would leave the volume half-released: it waits its bounded time
                    interrupted = true;
                }
                pause = Math.min(pause * 2, 20);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Copies an image that a running domain may have mounted: its file system is frozen meanwhile, so
     * the copy is a consistent state of it.
     */
    private void copyFrozen(Path image, Path target) {
        List<Path> frozen = new ArrayList<>();
        try {
            for (String device : LiteVolumes.loopDevicesOf(commands, image)) {
                for (Path mountPoint : mounts.mountPointsOf(device)) {
                    commands.run("fsfreeze", "--freeze", mountPoint.toString());
                    frozen.add(mountPoint);
                }
            }
            commands.copyContent(image, target);
        } finally {
            for (Path mountPoint : frozen) {
                commands.run("fsfreeze", "--unfreeze", mountPoint.toString());
            }
        }
    }

    /** A tmpfs of the size given, or, for 0, of the kernel's default size (half the memory), as a qube's own tmpfs mounts are. */
    private void mountTmpfs(Path mountPoint, long sizeBytes, String mode) {
        VolumeFiles.createDirectories(mountPoint);
        commands.run("mount", "-t", "tmpfs", "-o", (sizeBytes > 0 ? "size=" + sizeBytes + "," : "") + "mode=" + mode + ",nosuid,nodev",
                "bulkhead-" + mountPoint.getFileName(), mountPoint.toString());
    }

    private static String optionPath(Path path) {
        String text = path.toString();
        if (!OPTION_SAFE_PATH.matcher(text).matches()) {
            throw new InvalidValueException("volume path", text, "a path without commas, colons, backslashes or spaces (overlayfs cannot take it)");
        }
        return text;
    }
}
