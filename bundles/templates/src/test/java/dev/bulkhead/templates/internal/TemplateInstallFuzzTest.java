package dev.bulkhead.templates.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.template.PayloadFile;
import dev.bulkhead.api.template.TemplateManifest;
import dev.bulkhead.fuzz.Fuzz;
import dev.bulkhead.templates.internal.tar.TarEntry;
import dev.bulkhead.templates.internal.tar.TarWriter;

/**
 * Fuzzes a whole install: a package signed by a trusted key around a hostile root archive, or any
 * package with bytes changed, is refused with an {@link AdminException} and leaves the data
 * directory exactly as it was. The core here answers only what the store asks before it makes a
 * qube, and refuses to make one, so that every install is refused; TemplatesIT installs and
 * refuses packages against the real core.
 */
class TemplateInstallFuzzTest {
    private static final KeyPair KEY = fixedKey();

    private static final byte[] GOOD = signedPackage(Archives.minimalRoot().gzipped(), 19);

    @Test
    void aRefusedInstallLeavesTheDataDirectoryAsItWas() {
        Fuzz.forAll(20261204L, 80, TemplateInstallFuzzTest::pkg, TemplateInstallFuzzTest::installIsRefusedLeavingNothing);
    }

    private static void installIsRefusedLeavingNothing(byte[] pkg) throws IOException {
        Path temp = Files.createTempDirectory("bulkhead-install-fuzz-");
        try {
            Path keys = Files.createDirectory(temp.resolve("keys"));
            Files.writeString(keys.resolve("test.pub"), Ed25519Keys.pem(KEY.getPublic()));
            Path data = Files.createDirectory(temp.resolve("data"));
            Path file = Files.write(temp.resolve("template.bht"), pkg);
            TemplateStoreService store = new TemplateStoreService(data, keys, config(), coreThatMakesNoQubes());
            List<String> before = tree(data);

            AdminException refused = assertThrows(AdminException.class, () -> store.install(file, null, false));

            assertEquals(before, tree(data), "nothing left after: " + refused.getMessage());
            store.deactivate();
        } finally {
            StoreFiles.deleteTree(temp);
        }
    }

    /** A signed package around a hostile root archive of any declared size, the good package with bytes changed, or the good one. */
    private static byte[] pkg(Random r) {
        return switch (r.nextInt(6)) {
            case 0, 1, 2 -> signedPackage(gzip(TemplateParsersFuzzTest.hostileTar(r)), Fuzz.oneOf(r, 0L, 19L, 1L << 20));
            case 3, 4 -> TemplateParsersFuzzTest.changedBytes(r, GOOD, 3);
            default -> GOOD;
        };
    }

    private static byte[] signedPackage(byte[] root, long unpacked) {
        byte[] manifest = Manifests.write(new TemplateManifest(1, "fuzzed", "1.0", "", "", List.of("lite"), Map.of(),
                List.of(new PayloadFile("root.tar.gz", PayloadFile.ROOTFS, List.of("lite"), root.length,
                        HexFormat.of().formatHex(PackageReader.sha256().digest(root)), unpacked))));
        byte[] signature = ManifestSignature.sign(manifest, KEY.getPrivate(), KEY.getPublic()).encode();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(out)) {
            for (Map.Entry<String, byte[]> e : List.of(Map.entry(Manifests.MANIFEST, manifest), Map.entry(Manifests.SIGNATURE, signature),
                    Map.entry("root.tar.gz", root))) {
                tar.write(new TarEntry(e.getKey(), TarEntry.Type.FILE, 0644, 0, 0, e.getValue().length, 0, ""),
                        new ByteArrayInputStream(e.getValue()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static List<String> tree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    /** The same key in every run, so that a failing package is the same bytes when run again. */
    private static KeyPair fixedKey() {
        try {
            SecureRandom seeded = SecureRandom.getInstance("SHA1PRNG");
            seeded.setSeed(20261204L);
            KeyPairGenerator generator = KeyPairGenerator.getInstance(Ed25519Keys.ALGORITHM);
            generator.initialize(255, seeded);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static TemplateStoreService.Config config() {
        return (TemplateStoreService.Config) Proxy.newProxyInstance(TemplateStoreService.Config.class.getClassLoader(),
                new Class<?>[] { TemplateStoreService.Config.class }, (proxy, method, args) -> switch (method.getName()) {
                    case "trusted_keys" -> "";
                    case "max_payload_mb", "max_unpacked_mb" -> 1;
                    case "max_entries" -> 100;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    /** The core as far as the store asks it before making a qube; making one is refused. */
    private static QubeAdmin coreThatMakesNoQubes() {
        return (QubeAdmin) Proxy.newProxyInstance(QubeAdmin.class.getClassLoader(), new Class<?>[] { QubeAdmin.class },
                (proxy, method, args) -> switch (method.getName()) {
                    case "backendName" -> "lite";
                    case "find" -> Optional.empty();
                    default -> throw new AdminException("this core makes no qubes (" + method.getName() + ")");
                });
    }
}
