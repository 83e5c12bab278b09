package dev.bulkhead.templates.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.template.InstallListener;
import dev.bulkhead.api.template.PayloadFile;
import dev.bulkhead.api.template.TemplateManifest;
import dev.bulkhead.templates.internal.tar.TarEntry;
import dev.bulkhead.templates.internal.tar.TarWriter;
import dev.bulkhead.testing.SystemTest;

class PackageReaderTest {
    private static final PackageReader.Limits LIMITS = new PackageReader.Limits(1 << 20, 1 << 20, 1000);

    @TempDir
    Path temp;
    private KeyPair key;
    private Path staging;

    @BeforeEach
    void setUp() throws IOException {
        key = Ed25519Keys.generate();
        staging = Files.createDirectory(temp.resolve("staging"));
    }

    @Test
    @SystemTest
    void aPackageSignedByATrustedKeyIsCheckedAndItsRootUnpacked() throws IOException {
        List<String> phases = new ArrayList<>();
        Path pkg = write(manifest(Archives.minimalRoot().gzipped()), null, Archives.minimalRoot().gzipped());

        PackageReader.Checked checked = reader(key.getPublic()).read(pkg, "lite", false, staging,
                (phase, done, total) -> phases.add(phase + " " + done + "/" + total), true);

        assertTrue(checked.trusted());
        assertEquals("base", checked.manifest().name());
        assertTrue(Files.isRegularFile(staging.resolve("root/sbin/qube-init")));
        assertTrue(Files.isRegularFile(staging.resolve("payload/root.tar.gz")));
        assertEquals("SIGNATURE 0/1", phases.get(0));
        assertTrue(phases.stream().anyMatch(p -> p.startsWith("PAYLOAD ")), phases.toString());
        assertTrue(phases.contains("UNPACK 19/19"), phases.toString());
    }

    @Test
    void aPayloadChangedAfterSigningIsRefused() throws IOException {
        byte[] root = Archives.minimalRoot().gzipped();
        byte[] tampered = root.clone();
        tampered[tampered.length / 2] ^= 0x01;

        AdminException e = refused(write(manifest(root), null, tampered), false);

        assertTrue(e.getMessage().startsWith("payload file root.tar.gz has SHA-256 "), e.getMessage());
        assertTrue(e.getMessage().endsWith("it was changed after signing"), e.getMessage());
    }

    @Test
    void aManifestChangedAfterSigningIsRefused() throws IOException {
        byte[] root = Archives.minimalRoot().gzipped();
        byte[] manifest = manifest(root);
        byte[] changed = new String(manifest, StandardCharsets.UTF_8).replace("\"version\" : \"1.0\"", "\"version\" : \"9.9\"")
                .getBytes(StandardCharsets.UTF_8);

        AdminException e = refused(write(changed, ManifestSignature.sign(manifest, key.getPrivate(), key.getPublic()), root), false);

        assertTrue(e.getMessage().startsWith("the signature in manifest.sig does not match manifest.json"), e.getMessage());
    }

    @Test
    void aSignatureByAnotherKeyThanTheOneItNamesIsRefusedEvenWithTheOverride() throws IOException {
        byte[] root = Archives.minimalRoot().gzipped();
        byte[] manifest = manifest(root);
        KeyPair other = Ed25519Keys.generate();
        ManifestSignature byOther = ManifestSignature.sign(manifest, other.getPrivate(), other.getPublic());
        ManifestSignature forged = new ManifestSignature(key.getPublic(), byOther.signature());

        AdminException e = refused(write(manifest, forged, root), true);

        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
    }

    @Test
    @SystemTest
    void anUnknownKeyIsRefusedUnlessOverriddenAndThenReportedUntrusted() throws IOException {
        KeyPair stranger = Ed25519Keys.generate();
        byte[] root = Archives.minimalRoot().gzipped();
        byte[] manifest = manifest(root);
        Path pkg = write(manifest, ManifestSignature.sign(manifest, stranger.getPrivate(), stranger.getPublic()), root);

        AdminException e = refused(pkg, false);
        PackageReader.Checked allowed = reader(key.getPublic()).read(pkg, "lite", true, staging, InstallListener.NONE, true);

        assertTrue(e.getMessage().startsWith("the template is signed by key " + Ed25519Keys.id(stranger.getPublic()) + ", which is not trusted"),
                e.getMessage());
        assertTrue(e.getMessage().contains("--allow-unknown-key"), e.getMessage());
        assertFalse(allowed.trusted());
    }

    @Test
    void aPayloadOverTheConfiguredSizeIsRefusedBeforeItIsRead() throws IOException {
        byte[] root = Archives.minimalRoot().file("big", "x".repeat(4096), 0644).gzipped();
        Path pkg = write(manifest(root), null, root);

        AdminException e = assertThrows(AdminException.class, () -> new PackageReader(Map.of(Ed25519Keys.id(key.getPublic()), key.getPublic()),
                "test", new PackageReader.Limits(100, 1 << 20, 1000)).read(pkg, "lite", false, staging, InstallListener.NONE, true));

        assertTrue(e.getMessage().contains("bytes is more than the 100 allowed (max.payload.mb)"), e.getMessage());
        assertFalse(Files.exists(staging.resolve("payload/root.tar.gz")));
    }

    @Test
    void aRootThatClaimsToUnpackToMoreThanAllowedIsRefusedBeforeItIsRead() throws IOException {
        byte[] root = Archives.minimalRoot().gzipped();
        Path pkg = write(manifest(root), null, root);

        AdminException e = assertThrows(AdminException.class, () -> new PackageReader(Map.of(Ed25519Keys.id(key.getPublic()), key.getPublic()),
                "test", new PackageReader.Limits(1 << 20, 10, 1000)).read(pkg, "lite", false, staging, InstallListener.NONE, true));

        assertTrue(e.getMessage().contains("unpacks to 19 bytes, more than the 10 allowed (max.unpacked.mb)"), e.getMessage());
    }

    @Test
    @SystemTest
    void aRootThatUnpacksToMoreThanItsManifestDeclaresIsRefusedBeforeTheExcessIsWritten() throws IOException {
        byte[] root = Archives.minimalRoot().file("big", "x".repeat(200_000), 0644).gzipped();
        long declared = "#!busybox".length() + "#!/bin/sh\n".length() + 1000;

        AdminException e = refused(write(manifest(root, declared), null, root), false);

        assertEquals("the root archive unpacks to more than the " + declared + " bytes its signed manifest declares (unpacked_size)",
                e.getMessage());
        assertFalse(Files.exists(staging.resolve("root/big")), "nothing of the file that would pass the declared size is written");
    }

    @Test
    @SystemTest
    void aRootThatUnpacksToLessThanItsManifestDeclaresIsRefused() throws IOException {
        byte[] root = Archives.minimalRoot().gzipped();

        AdminException e = refused(write(manifest(root, 500_000), null, root), false);

        assertEquals("payload file root.tar.gz unpacks to 19 bytes, its signed manifest declares 500000 (unpacked_size)", e.getMessage());
    }

    @Test
    void theConfiguredLimitStillHoldsWhenTheManifestDeclaresTheTruth() throws IOException {
        byte[] root = Archives.minimalRoot().file("big", "x".repeat(4096), 0644).gzipped();
        Path pkg = write(manifest(root), null, root);

        AdminException e = assertThrows(AdminException.class, () -> new PackageReader(Map.of(Ed25519Keys.id(key.getPublic()), key.getPublic()),
                "test", new PackageReader.Limits(1 << 20, 4096, 1000)).read(pkg, "lite", false, staging, InstallListener.NONE, true));

        assertTrue(e.getMessage().contains("more than the 4096 allowed (max.unpacked.mb)"), e.getMessage());
    }

    @Test
    @SystemTest
    void eachHostileRootShapeIsRefusedWithinAPackage() throws IOException {
        Map<String, Archives> shapes = Map.of(
                "has '..' in its path", Archives.minimalRoot().file("../evil", "x", 0644),
                "has an absolute path", Archives.minimalRoot().file("/tmp/evil", "x", 0644),
                "is a device node", Archives.minimalRoot().entry(new TarEntry("dev/mem", TarEntry.Type.CHAR_DEVICE, 0600, 0, 0, 0, 0, ""), ""),
                "which leads out of the root", Archives.minimalRoot().symlink("x", "../../../etc/passwd"),
                "has a path through the symbolic link", Archives.minimalRoot().symlink("x", "/etc").file("x/passwd", "evil", 0644),
                "is a hard link to", Archives.minimalRoot().hardLink("x", "../etc/passwd"));
        for (Map.Entry<String, Archives> shape : shapes.entrySet()) {
            byte[] root = shape.getValue().gzipped();
            Path staged = Files.createTempDirectory(temp, "staging-");

            AdminException e = assertThrows(AdminException.class, () -> reader(key.getPublic())
                    .read(write(manifest(root), null, root), "lite", false, staged, InstallListener.NONE, true));

            assertTrue(e.getMessage().contains(shape.getKey()), shape.getKey() + ": " + e.getMessage());
        }
    }

    @Test
    @SystemTest
    void aRootWithoutTheInitTheLiteBackendRunsIsRefused() throws IOException {
        byte[] root = Archives.tar().dir("bin").file("bin/sh", "x", 0755).gzipped();

        AdminException e = refused(write(manifest(root), null, root), false);

        assertEquals("the root in root.tar.gz has no /sbin/qube-init, which the lite backend runs as the qube's init", e.getMessage());
    }

    @Test
    @SystemTest
    void aMergedUsrRootWhoseShellAndInitAreReachedThroughLinksIsAccepted() throws IOException {
        // Debian's layout: /bin and /sbin lead into /usr, /bin/sh is a link to dash
        byte[] root = Archives.tar().dir("usr").dir("usr/bin").file("usr/bin/dash", "#!dash", 0755).symlink("usr/bin/sh", "dash")
                .dir("usr/sbin").file("usr/sbin/qube-init", "#!/bin/sh\n", 0755).symlink("bin", "usr/bin").symlink("sbin", "/usr/sbin")
                .gzipped();

        PackageReader.Checked checked = reader(key.getPublic()).read(write(manifest(root), null, root), "lite", false, staging,
                InstallListener.NONE, true);

        assertEquals("base", checked.manifest().name());
        assertTrue(Files.isRegularFile(staging.resolve("root/usr/sbin/qube-init")));
        assertEquals(Path.of("usr/bin"), Files.readSymbolicLink(staging.resolve("root/bin")));
    }

    @Test
    @SystemTest
    void aShellLinkThatLeadsNowhereIsRefused() throws IOException {
        for (Archives dangling : List.of(Archives.tar().dir("sbin").file("sbin/qube-init", "x", 0755).symlink("bin", "usr/bin"),
                Archives.tar().dir("sbin").file("sbin/qube-init", "x", 0755).dir("bin").symlink("bin/sh", "sh"),
                Archives.tar().dir("sbin").file("sbin/qube-init", "x", 0755).dir("bin").symlink("bin/sh", "/sbin"),
                Archives.tar().dir("sbin").file("sbin/qube-init", "x", 0755).dir("bin").symlink("bin/sh", "/bin/dash")
                        .symlink("bin/dash", "../bin/sh"),
                Archives.tar().dir("sbin").file("sbin/qube-init", "x", 0755).file("bin", "x", 0755))) {
            byte[] root = dangling.gzipped();
            Path staged = Files.createTempDirectory(temp, "staging-");

            AdminException e = assertThrows(AdminException.class, () -> reader(key.getPublic())
                    .read(write(manifest(root), null, root), "lite", false, staged, InstallListener.NONE, true));

            assertEquals("the root in root.tar.gz has no /bin/sh, which the lite backend runs as the qube's init", e.getMessage());
        }
    }

    @Test
    void aTemplateForAnotherBackendIsRefused() throws IOException {
        byte[] root = Archives.minimalRoot().gzipped();
        Path pkg = write(manifest(root), null, root);

        InvalidValueException e = assertThrows(InvalidValueException.class,
                () -> reader(key.getPublic()).read(pkg, "xen", false, staging, InstallListener.NONE, true));

        assertEquals("invalid template backends 'lite': this platform runs on the xen backend", e.getMessage());
    }

    @Test
    void somethingAfterThePayloadIsRefused() throws IOException {
        byte[] root = Archives.minimalRoot().gzipped();
        byte[] manifest = manifest(root);
        Path pkg = temp.resolve("extra.bht");
        try (TarWriter tar = new TarWriter(Files.newOutputStream(pkg))) {
            put(tar, Manifests.MANIFEST, manifest);
            put(tar, Manifests.SIGNATURE, ManifestSignature.sign(manifest, key.getPrivate(), key.getPublic()).encode());
            put(tar, "root.tar.gz", root);
            put(tar, "smuggled", "x".getBytes(StandardCharsets.UTF_8));
        }

        AdminException e = refused(pkg, false);

        assertEquals("the package holds 'smuggled' after its payload, which the manifest does not list", e.getMessage());
    }

    @Test
    void aPackageThatIsNotATarArchiveIsNamedAsSuch() throws IOException {
        Path pkg = Files.writeString(temp.resolve("junk.bht"), "not a package".repeat(100));

        AdminException e = refused(pkg, false);

        assertTrue(e.getMessage().contains("is not a valid package"), e.getMessage());
    }

    private AdminException refused(Path pkg, boolean allowUnknownKey) {
        return assertThrows(AdminException.class,
                () -> reader(key.getPublic()).read(pkg, "lite", allowUnknownKey, staging, InstallListener.NONE, true));
    }

    private static PackageReader reader(PublicKey trusted) {
        return new PackageReader(Map.of(Ed25519Keys.id(trusted), trusted), "test keys", LIMITS);
    }

    private static byte[] manifest(byte[] root) throws IOException {
        long unpacked = 0;
        var tar = new dev.bulkhead.templates.internal.tar.TarReader(new java.util.zip.GZIPInputStream(new ByteArrayInputStream(root)));
        for (TarEntry e = tar.next(); e != null; e = tar.next()) {
            unpacked += e.size();
        }
        return manifest(root, unpacked);
    }

    /** The manifest of a root archive that declares it unpacks to {@code unpacked} bytes. */
    private static byte[] manifest(byte[] root, long unpacked) {
        String sha = HexFormat.of().formatHex(PackageReader.sha256().digest(root));
        return Manifests.write(new TemplateManifest(1, "base", "1.0", "test", "2025-01-01T00:00:00Z", List.of("lite"), Map.of(),
                List.of(new PayloadFile("root.tar.gz", PayloadFile.ROOTFS, List.of("lite"), root.length, sha, unpacked))));
    }

    /** A package of the manifest, its signature (made with the test key when null) and the root payload. */
    private Path write(byte[] manifest, ManifestSignature signature, byte[] root) throws IOException {
        ManifestSignature sig = signature == null ? ManifestSignature.sign(manifest, key.getPrivate(), key.getPublic()) : signature;
        Path pkg = Files.createTempFile(temp, "template-", ".bht");
        try (TarWriter tar = new TarWriter(Files.newOutputStream(pkg))) {
            put(tar, Manifests.MANIFEST, manifest);
            put(tar, Manifests.SIGNATURE, sig.encode());
            put(tar, "root.tar.gz", root);
        }
        return pkg;
    }

    private static void put(TarWriter tar, String name, byte[] content) throws IOException {
        tar.write(new TarEntry(name, TarEntry.Type.FILE, 0644, 0, 0, content.length, 0, ""), new ByteArrayInputStream(content));
    }
}
