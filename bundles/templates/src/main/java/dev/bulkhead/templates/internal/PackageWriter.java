package dev.bulkhead.templates.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.template.PayloadFile;
import dev.bulkhead.api.template.TemplateManifest;
import dev.bulkhead.templates.internal.tar.TarEntry;
import dev.bulkhead.templates.internal.tar.TarWriter;

/** Makes template packages: a root directory as a rootfs archive, and the package around a signed manifest. */
public final class PackageWriter {
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;

    private PackageWriter() {
    }

    /**
     * Archives a root directory tree as a gzip-compressed tar (owners, modes, times, symbolic and hard
     * links kept; entries in name order, so the same tree gives the same archive content) and
     * describes it as a payload file.
     */
    public static PayloadFile packRoot(Path root, Path archive, String name, List<String> backends) throws IOException {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            throw new AdminException("root " + root + " is not a directory");
        }
        MessageDigest sha256 = PackageReader.sha256();
        long[] unpacked = { 0 };
        try (OutputStream file = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(archive), 1 << 16), sha256);
                TarWriter tar = new TarWriter(new GZIPOutputStream(file, 1 << 16))) {
            addChildren(tar, root, "", new HashMap<>(), unpacked);
        }
        return new PayloadFile(name, PayloadFile.ROOTFS, backends, Files.size(archive), HexFormat.of().formatHex(sha256.digest()),
                unpacked[0]);
    }

    private static void addChildren(TarWriter tar, Path dir, String prefix, Map<String, String> firstLinks, long[] unpacked)
            throws IOException {
        List<Path> children;
        try (Stream<Path> list = Files.list(dir)) {
            children = new ArrayList<>(list.sorted().toList());
        }
        for (Path child : children) {
            String name = prefix + child.getFileName();
            Map<String, Object> a = Files.readAttributes(child, "unix:mode,uid,gid,ino,dev,nlink,size,lastModifiedTime",
                    LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            long uid = (Integer) a.get("uid");
            long gid = (Integer) a.get("gid");
            long mtime = ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toInstant().getEpochSecond();
            switch (mode & S_IFMT) {
                case S_IFDIR -> {
                    tar.write(new TarEntry(name + "/", TarEntry.Type.DIRECTORY, mode & 07777, uid, gid, 0, mtime, ""), null);
                    addChildren(tar, child, name + "/", firstLinks, unpacked);
                }
                case S_IFLNK -> tar.write(new TarEntry(name, TarEntry.Type.SYMLINK, mode & 07777, uid, gid, 0, mtime,
                        Files.readSymbolicLink(child).toString()), null);
                case S_IFREG -> {
                    String identity = a.get("dev") + ":" + a.get("ino");
                    String first = (Integer) a.get("nlink") > 1 ? firstLinks.putIfAbsent(identity, name) : null;
                    if (first != null) {
                        tar.write(new TarEntry(name, TarEntry.Type.HARD_LINK, mode & 07777, uid, gid, 0, mtime, first), null);
                    } else {
                        long size = (Long) a.get("size");
                        unpacked[0] += size;
                        try (InputStream in = Files.newInputStream(child, LinkOption.NOFOLLOW_LINKS)) {
                            tar.write(new TarEntry(name, TarEntry.Type.FILE, mode & 07777, uid, gid, size, mtime, ""), in);
                        }
                    }
                }
                default -> throw new AdminException(child + " is a device node, FIFO or socket; a template root holds only files,"
                        + " directories and links");
            }
        }
    }

    /** Describes a file taken into a package as it is (a kernel, an initramfs, a root image) as a payload file of {@code kind}. */
    public static PayloadFile describe(Path file, String name, String kind, List<String> backends) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new AdminException(kind + " " + file + " is not a file");
        }
        MessageDigest sha256 = PackageReader.sha256();
        try (InputStream in = new DigestInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16), sha256)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        long size = Files.size(file);
        return new PayloadFile(name, kind, backends, size, HexFormat.of().formatHex(sha256.digest()), size);
    }

    /**
     * Compresses a raw disk image into {@code compressed} (gzip, fastest level: the image is mostly file data that
     * the root archive's gzip compresses the same way, and its free blocks are zeros) and describes it as the
     * {@value PayloadFile#ROOT_IMAGE} payload file: its size and SHA-256 are the compressed file's, its unpacked
     * size the image's.
     */
    public static PayloadFile packImage(Path image, Path compressed, String name, List<String> backends) throws IOException {
        if (!Files.isRegularFile(image, LinkOption.NOFOLLOW_LINKS)) {
            throw new AdminException(PayloadFile.ROOT_IMAGE + " " + image + " is not a file");
        }
        MessageDigest sha256 = PackageReader.sha256();
        try (InputStream in = Files.newInputStream(image, LinkOption.NOFOLLOW_LINKS);
                OutputStream file = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(compressed), 1 << 16), sha256);
                OutputStream gzip = new GZIPOutputStream(file, 1 << 16) {
                    {
                        def.setLevel(Deflater.BEST_SPEED);
                    }
                }) {
            in.transferTo(gzip);
        }
        return new PayloadFile(name, PayloadFile.ROOT_IMAGE, backends, Files.size(compressed), HexFormat.of().formatHex(sha256.digest()),
                Files.size(image));
    }

    /** Writes a package: the manifest, its signature, then the payload files in the manifest's order. */
    public static void writePackage(byte[] manifest, ManifestSignature signature, Map<String, Path> payload, TemplateManifest parsed,
            Path out) throws IOException {
        Path temp = out.resolveSibling("." + out.getFileName() + ".tmp");
        long now = Instant.now().getEpochSecond();
        try (TarWriter tar = new TarWriter(new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16))) {
            tar.write(new TarEntry(Manifests.MANIFEST, TarEntry.Type.FILE, 0644, 0, 0, manifest.length, now, ""),
                    new ByteArrayInputStream(manifest));
            byte[] sig = signature.encode();
            tar.write(new TarEntry(Manifests.SIGNATURE, TarEntry.Type.FILE, 0644, 0, 0, sig.length, now, ""), new ByteArrayInputStream(sig));
            for (PayloadFile f : parsed.files()) {
                Path file = payload.get(f.name());
                try (InputStream in = Files.newInputStream(file)) {
                    tar.write(new TarEntry(f.name(), TarEntry.Type.FILE, 0644, 0, 0, Files.size(file), now, ""), in);
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        try {
            Files.move(temp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, out, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
