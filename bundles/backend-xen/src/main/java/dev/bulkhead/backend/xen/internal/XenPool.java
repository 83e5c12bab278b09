package dev.bulkhead.backend.xen.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;


import org.libvirt.Connect;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.libvirt.Stream;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.backend.xen.internal.XenDomain.Disk;

/**
 * A qube's disks on a remote dom0, in a libvirt storage pool there ({@value #POOL}, a directory pool at
 * {@link #DIRECTORY}, defined, built and started when missing), made through libvirt only, so that any libvirt URI
 * reaches them as it reaches the domains:
 * <ul>
 * <li>the image a snapshot is backed by (a template's root, a disposable template's private volume) is uploaded once
 * per content: its volume is named by the origin's storage and the SHA-256 of the image
 * ({@code origin-LABEL-DIGEST.img}), so that a changed image is uploaded again and an unchanged one is not;</li>
 * <li>a snapshot is a qcow2 volume {@code QUBE.VOLUME.qcow2} backed by that image, made afresh at each start and
 * removed at stop;</li>
 * <li>a kept private volume is a raw volume {@code QUBE.private.img}, made empty (sparse) at its first start and kept
 * in the pool after that; a kept root ({@code QUBE.root.img}) is uploaded from this host's image at its first start
 * and is dom0's from then on;</li>
 * <li>the volatile volume is a raw volume {@code QUBE.volatile.img}, made empty at each start and removed at
 * stop.</li>
 * </ul>
 * Kept volumes in dom0 keep no revisions. An upload that fails removes its volume, so a volume of an origin's name
 * is whole.
 */
final class XenPool {
    static final String POOL = "bulkhead";
    static final Path DIRECTORY = Path.of("/var/lib/bulkhead/pool");
    /** A volume's name in the pool: a file name in {@link #DIRECTORY}. */
    static final Pattern VOLUME_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,199}");
    private static final int LABEL_MAX = 64;
    private static final int DIGEST_CHARS = 24;
    private static final int CHUNK = 1 << 20;

    /** A file's content digest, kept while its size and time of change stay. */
    private record Seen(Path file, long size, long modified) {
    }

    private final Map<Seen, String> digests = new ConcurrentHashMap<>();

    /**
     * Makes the domain's volumes in the pool and returns the domain with its disks there.
     *
     * @param domain the domain as {@link XenDomains} makes it, its disks this host's files
     */
    XenDomain prepare(LibvirtConnection libvirt, DomainSpec spec, XenDomain domain) {
        String name = DomainValues.name("name", spec.name());
        List<Disk> disks = libvirt.withConnect("make the volumes of '" + name + "' in pool " + POOL, c -> {
            StoragePool pool = pool(c);
            try {
                List<Disk> out = new ArrayList<>();
                for (Disk disk : domain.disks()) {
                    if (disk.cdrom()) {
                        throw new AdminException("a CD-ROM of '" + name + "' on a remote dom0: not yet");
                    }
                    VolumeSpec v = spec.volume(disk.volume()).orElseThrow(
                            () -> new IllegalStateException("no volume " + disk.volume() + " in the spec of " + name));
                    Path path = volume(c, pool, name, v, disk);
                    out.add(new Disk(disk.volume(), path, disk.format(), disk.target(), disk.readOnly(), false));
                }
                return out;
            } finally {
                pool.free();
            }
        });
        return new XenDomain(domain.name(), domain.uuid(), domain.mode(), domain.memoryMiB(), domain.maxmemMiB(),
                domain.vcpus(), domain.boot(), disks, domain.interfaces());
    }

    /** Removes the volumes a qube has only while it runs: its snapshots and its volatile volume. */
    void discard(LibvirtConnection libvirt, String name) {
        String qube = DomainValues.name("name", name);
        libvirt.withConnect("remove the volumes of '" + qube + "' from pool " + POOL, c -> {
            Optional<StoragePool> pool = lookupPool(c);
            if (pool.isEmpty()) {
                return null;
            }
            try {
                for (String volume : List.of(qube + "." + VolumeSpec.ROOT + ".qcow2", qube + "." + VolumeSpec.PRIVATE + ".qcow2",
                        qube + "." + VolumeSpec.VOLATILE + ".img")) {
                    delete(pool.get(), volume);
                }
            } finally {
                pool.get().free();
            }
            return null;
        });
    }

    private Path volume(Connect c, StoragePool pool, String qube, VolumeSpec v, Disk disk) throws LibvirtException {
        if (v.snapshot()) {
            Path origin = XenDomains.origin(v);
            requireImage(qube, v, origin);
            Path base = uploaded(c, pool, origin, originName(v.source(), digest(origin)));
            String name = volumeName(qube + "." + v.name() + ".qcow2");
            delete(pool, name);
            long capacity = Math.max(v.sizeBytes(), size(origin));
            return create(pool, name, volumeXml(name, capacity, "qcow2", Optional.of(base)));
        }
        if (v.isVolatile()) {
            String name = volumeName(qube + "." + VolumeSpec.VOLATILE + ".img");
            delete(pool, name);
            return create(pool, name, volumeXml(name, v.sizeBytes(), "raw", Optional.empty()));
        }
        String name = volumeName(qube + "." + v.name() + ".img");
        Optional<StorageVol> kept = lookupVolume(pool, name);
        if (kept.isPresent()) {
            return pathOf(kept.get(), name);
        }
        if (VolumeSpec.ROOT.equals(v.name())) {
            requireImage(qube, v, disk.source());
            return uploaded(c, pool, disk.source(), name);
        }
        return create(pool, name, volumeXml(name, v.sizeBytes(), "raw", Optional.empty()));
    }

    /** The volume {@code name}, uploaded from {@code file} unless the pool has it already. */
    private static Path uploaded(Connect c, StoragePool pool, Path file, String name) throws LibvirtException {
        Optional<StorageVol> existing = lookupVolume(pool, name);
        if (existing.isPresent()) {
            return pathOf(existing.get(), name);
        }
        long length = size(file);
        StorageVol vol = pool.storageVolCreateXML(volumeXml(name, length, "raw", Optional.empty()), 0);
        try {
            upload(c, vol, file, length);
            return pathOf(vol, name);
        } catch (LibvirtException | RuntimeException e) {
            try {
                vol.delete(0);
            } catch (LibvirtException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private static void upload(Connect c, StorageVol vol, Path file, long length) throws LibvirtException {
        Stream stream = c.streamNew(0);
        try {
            vol.upload(stream, 0, length, 0);
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buffer = new byte[CHUNK];
                long left = length;
                while (left > 0) {
                    int n = in.readNBytes(buffer, 0, (int) Math.min(CHUNK, left));
                    if (n == 0) {
                        throw new AdminException(file + " ended before its " + length + " bytes were sent");
                    }
                    byte[] chunk = n == buffer.length ? buffer : Arrays.copyOf(buffer, n);
                    int sent = 0;
                    while (sent < n) {
                        int s = stream.send(sent == 0 ? chunk : Arrays.copyOfRange(chunk, sent, n));
                        if (s <= 0) {
                            throw new AdminException("libvirt took no more of " + file + " after " + (length - left + sent) + " bytes");
                        }
                        sent += s;
                    }
                    left -= n;
                }
            }
            stream.finish();
        } catch (IOException e) {
            stream.abort();
            throw new AdminException("cannot read " + file + " to upload it: " + e.getMessage(), e);
        } catch (LibvirtException | RuntimeException e) {
            try {
                stream.abort();
            } catch (LibvirtException ignored) {
                // the stream failed already; its error is the one told
            }
            throw e;
        } finally {
            stream.free();
        }
    }

    private static Path create(StoragePool pool, String name, String xml) throws LibvirtException {
        StorageVol vol = pool.storageVolCreateXML(xml, 0);
        return pathOf(vol, name);
    }

    /** The volume's file, which must be its name in {@link #DIRECTORY}; the volume object is freed. */
    private static Path pathOf(StorageVol vol, String name) throws LibvirtException {
        try {
            String path = vol.getPath();
            Path expected = DIRECTORY.resolve(name);
            if (!expected.toString().equals(path)) {
                throw new AdminException("volume " + name + " of pool " + POOL + " is at " + DomainValues.shown(path)
                        + ", not at " + expected);
            }
            return expected;
        } finally {
            vol.free();
        }
    }

    private static void delete(StoragePool pool, String name) throws LibvirtException {
        Optional<StorageVol> vol = lookupVolume(pool, name);
        if (vol.isPresent()) {
            try {
                vol.get().delete(0);
            } finally {
                vol.get().free();
            }
        }
    }

    private static Optional<StorageVol> lookupVolume(StoragePool pool, String name) throws LibvirtException {
        try {
            return Optional.of(pool.storageVolLookupByName(name));
        } catch (LibvirtException e) {
            if (LibvirtConnection.is(e, ErrorNumber.VIR_ERR_NO_STORAGE_VOL)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private static Optional<StoragePool> lookupPool(Connect c) throws LibvirtException {
        try {
            return Optional.of(c.storagePoolLookupByName(POOL));
        } catch (LibvirtException e) {
            if (LibvirtConnection.is(e, ErrorNumber.VIR_ERR_NO_STORAGE_POOL)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The pool, defined, built, started and set to start with libvirtd when it was not; at {@link #DIRECTORY}. */
    private static StoragePool pool(Connect c) throws LibvirtException {
        Optional<StoragePool> found = lookupPool(c);
        StoragePool pool;
        if (found.isPresent()) {
            pool = found.get();
        } else {
            pool = c.storagePoolDefineXML(poolXml(), 0);
            pool.build(0);
            pool.setAutostart(1);
        }
        try {
            String xml = pool.getXMLDesc(0);
            if (!xml.contains("<path>" + DIRECTORY + "</path>")) {
                throw new AdminException("libvirt's pool " + POOL + " is not the directory " + DIRECTORY + ": "
                        + DomainValues.shown(xml, 400));
            }
            if (pool.isActive() == 0) {
                pool.create(0);
            }
            return pool;
        } catch (LibvirtException | RuntimeException e) {
            pool.free();
            throw e;
        }
    }

    static String poolXml() {
        return DomainXml.document("volume XML", w -> {
            w.writeStartElement("pool");
            w.writeAttribute("type", "dir");
            DomainXml.text(w, "name", POOL);
            w.writeStartElement("target");
            DomainXml.text(w, "path", DIRECTORY.toString());
            w.writeEndElement();
            w.writeEndElement();
        });
    }

    /** A volume's XML: raw or qcow2, sparse, a qcow2 one backed by a raw file of the pool. */
    static String volumeXml(String name, long capacityBytes, String format, Optional<Path> backingRaw) {
        volumeName(name);
        if (capacityBytes < 1) {
            throw new InvalidValueException("size of volume " + name, Long.toString(capacityBytes), "1 byte or more");
        }
        if (!format.equals("raw") && !format.equals("qcow2")) {
            throw new IllegalArgumentException("format " + format);
        }
        backingRaw.ifPresent(p -> DomainValues.path("backing file of " + name, p, List.of(DIRECTORY)));
        return DomainXml.document("volume XML", w -> {
            w.writeStartElement("volume");
            DomainXml.text(w, "name", name);
            w.writeStartElement("capacity");
            w.writeAttribute("unit", "bytes");
            w.writeCharacters(Long.toString(capacityBytes));
            w.writeEndElement();
            w.writeStartElement("allocation");
            w.writeAttribute("unit", "bytes");
            w.writeCharacters("0");
            w.writeEndElement();
            w.writeStartElement("target");
            w.writeEmptyElement("format");
            w.writeAttribute("type", format);
            w.writeEndElement();
            if (backingRaw.isPresent()) {
                w.writeStartElement("backingStore");
                DomainXml.text(w, "path", backingRaw.get().toString());
                w.writeEmptyElement("format");
                w.writeAttribute("type", "raw");
                w.writeEndElement();
            }
            w.writeEndElement();
        });
    }

    /**
     * The name of an origin's uploaded image: {@code origin-LABEL-DIGEST.img}, LABEL the last two names of its storage
     * directory (characters outside {@code A-Za-z0-9._+-} as {@code _}, at most {@value #LABEL_MAX}), DIGEST the first
     * {@value #DIGEST_CHARS} hex digits of the image's SHA-256.
     */
    static String originName(Path storage, String sha256Hex) {
        if (!sha256Hex.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("not a SHA-256 in hex: " + DomainValues.shown(sha256Hex));
        }
        Path parent = storage.getParent();
        String label = (parent == null || parent.getFileName() == null ? "" : parent.getFileName() + "-")
                + (storage.getFileName() == null ? "" : storage.getFileName().toString());
        label = label.replaceAll("[^A-Za-z0-9._+-]", "_");
        if (label.length() > LABEL_MAX) {
            label = label.substring(label.length() - LABEL_MAX);
        }
        return volumeName("origin-" + label + "-" + sha256Hex.substring(0, DIGEST_CHARS) + ".img");
    }

    static String volumeName(String name) {
        if (!VOLUME_NAME.matcher(name).matches() || name.contains("..")) {
            throw new InvalidValueException("volume name", DomainValues.shown(name),
                    "a file name of A-Za-z0-9._+- (no '..'), at most 200 characters");
        }
        return name;
    }

    /** The file's SHA-256 in hex, computed again only when its size or time of change differs. */
    String digest(Path file) {
        try {
            Seen seen = new Seen(file, Files.size(file), Files.getLastModifiedTime(file).toMillis());
            return digests.computeIfAbsent(seen, s -> sha256(s.file()));
        } catch (IOException e) {
            throw new AdminException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[CHUNK];
            int n;
            while ((n = in.read(buffer)) > 0) {
                sha.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new AdminException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static void requireImage(String qube, VolumeSpec v, Path image) {
        if (!Files.isRegularFile(image, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidValueException(v.name() + " of '" + qube + "'", image.toString(),
                    "an existing raw image on this host, to upload to the remote dom0");
        }
    }
}
