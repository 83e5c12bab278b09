package dev.bulkhead.templates.internal;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.template.InstallListener;
import dev.bulkhead.api.template.PayloadFile;
import dev.bulkhead.api.template.TemplateManifest;
import dev.bulkhead.templates.internal.tar.TarEntry;
import dev.bulkhead.templates.internal.tar.TarException;
import dev.bulkhead.templates.internal.tar.TarReader;

/**
 * Reads a template package and checks everything in it, in the order it comes, before anything of
 * it is used: the package is a tar archive of {@code manifest.json}, {@code manifest.sig} and the
 * payload files in the manifest's order. The signature is checked first, then the manifest, then
 * each payload file's size and SHA-256 as it is copied into the staging directory, then every entry
 * of the root archive as it is unpacked. The first failure throws; the caller removes the staging
 * directory.
 */
public final class PackageReader {
    static final int MAX_MANIFEST = 1 << 20;
    static final int MAX_SIGNATURE = 16 * 1024;
    /** The root tree, in the staging directory. */
    public static final String ROOT = "root";
    /** The payload files, as they came, in the staging directory. */
    public static final String PAYLOAD = "payload";

    /** What may be installed. */
    public record Limits(long maxPayloadBytes, long maxUnpackedBytes, int maxEntries) {
    }

    /**
     * A package that passed every check.
     *
     * @param manifestBytes the manifest exactly as signed
     * @param trusted       whether the signing key is among the trusted keys
     */
    public record Checked(TemplateManifest manifest, byte[] manifestBytes, ManifestSignature signature, boolean trusted) {
    }

    private final Map<String, PublicKey> trustedKeys;
    private final String trustedKeysWhere;
    private final Limits limits;

    /**
     * @param trustedKeys      the keys templates may be signed with, by id
     * @param trustedKeysWhere where they come from, for messages
     */
    public PackageReader(Map<String, PublicKey> trustedKeys, String trustedKeysWhere, Limits limits) {
        this.trustedKeys = trustedKeys;
        this.trustedKeysWhere = trustedKeysWhere;
        this.limits = limits;
    }

    /** The manifest and signature a package starts with, unchecked: what {@code verify} reports on even when they are wrong. */
    public record Header(byte[] manifestBytes, ManifestSignature signature) {
    }

    public static Header header(Path file) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            TarReader tar = new TarReader(in);
            byte[] manifest = small(tar, Manifests.MANIFEST, MAX_MANIFEST);
            return new Header(manifest, ManifestSignature.parse(small(tar, Manifests.SIGNATURE, MAX_SIGNATURE)));
        } catch (TarException e) {
            throw new AdminException("template package " + file + " is not a valid package: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new AdminException("cannot read template package " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks the package and unpacks what {@code backend} uses into {@code staging}: its payload
     * files into {@value #PAYLOAD}/ (the other backends' are checked, not kept), a root archive into {@value #ROOT}/.
     */
    public Checked read(Path file, String backend, boolean allowUnknownKey, Path staging, InstallListener listener, boolean applyOwners) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            TarReader tar = new TarReader(in);
            listener.progress(InstallListener.Phase.SIGNATURE, 0, 1);
            byte[] manifestBytes = small(tar, Manifests.MANIFEST, MAX_MANIFEST);
            ManifestSignature signature = ManifestSignature.parse(small(tar, Manifests.SIGNATURE, MAX_SIGNATURE));
            if (!signature.verifies(manifestBytes)) {
                throw new AdminException("the signature in manifest.sig does not match manifest.json (key " + signature.keyId()
                        + "): the manifest was changed after signing, or signed by another key");
            }
            PublicKey known = trustedKeys.get(signature.keyId());
            boolean trusted = known != null && known.equals(signature.key());
            if (!trusted && !allowUnknownKey) {
                throw new AdminException("the template is signed by key " + signature.keyId() + ", which is not trusted (trusted: "
                        + (trustedKeys.isEmpty() ? "none" : String.join(", ", trustedKeys.keySet())) + ", from " + trustedKeysWhere
                        + "); add its .pub file there, or install with --allow-unknown-key if you know where it comes from");
            }
            TemplateManifest manifest = Manifests.parse(manifestBytes);
            listener.progress(InstallListener.Phase.SIGNATURE, 1, 1);
            checkFits(manifest, backend);
            Path payloadDir = Files.createDirectories(staging.resolve(PAYLOAD));
            long total = manifest.payloadSize();
            long[] done = { 0 };
            for (PayloadFile f : manifest.files()) {
                TarEntry e = tar.next();
                if (e == null || e.type() != TarEntry.Type.FILE || !e.name().equals(f.name())) {
                    throw new AdminException("the package holds " + (e == null ? "nothing more" : "'" + e.name() + "'")
                            + " where the manifest lists the payload file '" + f.name() + "' next");
                }
                // a file for other backends is checked as well, but not kept: a lite install keeps no root image
                copyChecked(f, e, tar.content(), f.backends().contains(backend) ? payloadDir.resolve(f.name()) : null, bytes -> {
                    done[0] += bytes;
                    listener.progress(InstallListener.Phase.PAYLOAD, done[0], total);
                });
            }
            TarEntry extra = tar.next();
            if (extra != null) {
                throw new AdminException("the package holds '" + extra.name() + "' after its payload, which the manifest does not list");
            }
            for (PayloadFile f : manifest.filesFor(backend)) {
                if (f.kind().equals(PayloadFile.ROOTFS)) {
                    unpackRoot(f, payloadDir.resolve(f.name()), Files.createDirectory(staging.resolve(ROOT)), listener, applyOwners);
                }
            }
            return new Checked(manifest, manifestBytes, signature, trusted);
        } catch (TarException e) {
            throw new AdminException("template package " + file + " is not a valid package: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new AdminException("cannot read template package " + file + ": " + e.getMessage(), e);
        }
    }

    /** The template must run on this backend and stay within the limits, by what its signed manifest says. */
    private void checkFits(TemplateManifest manifest, String backend) {
        if (!manifest.backends().contains(backend)) {
            throw new InvalidValueException("template backends", String.join(", ", manifest.backends()),
                    "this platform runs on the " + backend + " backend");
        }
        List<PayloadFile> used = manifest.filesFor(backend);
        if (backend.equals("lite") && used.stream().filter(f -> f.kind().equals(PayloadFile.ROOTFS)).count() != 1) {
            throw new InvalidValueException("template payload", used.stream().map(PayloadFile::name).toList().toString(),
                    "exactly one rootfs archive for the lite backend");
        }
        for (String kind : List.of(PayloadFile.ROOT_IMAGE, PayloadFile.KERNEL, PayloadFile.INITRAMFS)) {
            if (used.stream().filter(f -> f.kind().equals(kind)).count() > 1) {
                throw new InvalidValueException("template payload", used.stream().map(PayloadFile::name).toList().toString(),
                        "at most one " + kind + " for the " + backend + " backend");
            }
        }
        if (manifest.payloadSize() > limits.maxPayloadBytes()) {
            throw new AdminException("the payload of " + manifest.payloadSize() + " bytes is more than the " + limits.maxPayloadBytes()
                    + " allowed (max.payload.mb)");
        }
        for (PayloadFile f : used) {
            if (f.unpackedSize() > limits.maxUnpackedBytes()) {
                throw new AdminException("payload file " + f.name() + " unpacks to " + f.unpackedSize() + " bytes, more than the "
                        + limits.maxUnpackedBytes() + " allowed (max.unpacked.mb)");
            }
        }
    }

    private static byte[] small(TarReader tar, String name, int max) throws IOException {
        TarEntry e = tar.next();
        if (e == null || e.type() != TarEntry.Type.FILE || !e.name().equals(name)) {
            throw new AdminException("a template package starts with " + Manifests.MANIFEST + " and " + Manifests.SIGNATURE + "; found "
                    + (e == null ? "nothing" : "'" + e.name() + "'") + " where " + name + " belongs");
        }
        if (e.size() > max) {
            throw new AdminException(name + " has " + e.size() + " bytes; at most " + max + " are taken");
        }
        return tar.content().readAllBytes();
    }

    private interface Counter {
        void add(long bytes);
    }

    private void copyChecked(PayloadFile f, TarEntry e, InputStream content, Path target, Counter counter) throws IOException {
        if (e.size() != f.size()) {
            throw new AdminException("payload file " + f.name() + " has " + e.size() + " bytes in the package, the signed manifest says "
                    + f.size());
        }
        MessageDigest sha256 = sha256();
        try (OutputStream out = new DigestOutputStream(target == null ? OutputStream.nullOutputStream()
                : Files.newOutputStream(target, StandardOpenOption.CREATE_NEW), sha256)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = content.read(buffer)) > 0;) {
                out.write(buffer, 0, n);
                counter.add(n);
            }
        }
        String actual = HexFormat.of().formatHex(sha256.digest());
        if (!actual.equals(f.sha256())) {
            throw new AdminException("payload file " + f.name() + " has SHA-256 " + actual + ", the signed manifest says " + f.sha256()
                    + ": it was changed after signing");
        }
    }

    private void unpackRoot(PayloadFile f, Path archive, Path root, InstallListener listener, boolean applyOwners) throws IOException {
        RootExtractor extractor = new RootExtractor(root,
                new RootExtractor.Limits(limits.maxUnpackedBytes(), limits.maxEntries(), f.unpackedSize()), applyOwners);
        long total = Math.max(1, f.unpackedSize());
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(archive), 1 << 16), 1 << 16)) {
            long unpacked = extractor.extract(in, bytes -> listener.progress(InstallListener.Phase.UNPACK, bytes, total));
            if (unpacked != f.unpackedSize()) {
                throw new AdminException("payload file " + f.name() + " unpacks to " + unpacked + " bytes, its signed manifest declares "
                        + f.unpackedSize() + " (unpacked_size)");
            }
        } catch (ZipException e) {
            throw new AdminException("payload file " + f.name() + " is not a gzip-compressed tar archive: " + e.getMessage(), e);
        } catch (TarException e) {
            throw new AdminException("payload file " + f.name() + " is not a valid tar archive: " + e.getMessage(), e);
        }
        for (String required : List.of("bin/sh", "sbin/qube-init")) {
            if (!extractor.resolvesToFile(required)) {
                throw new AdminException("the root in " + f.name() + " has no /" + required + ", which the lite backend runs as the qube's init");
            }
        }
        listener.progress(InstallListener.Phase.UNPACK, total, total);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
