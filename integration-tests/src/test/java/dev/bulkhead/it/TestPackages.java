package dev.bulkhead.it;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Template packages made by the tests themselves, written byte by byte, so that each hostile shape
 * is exactly what the test names: a root archive (ustar) with any entry, the manifest, its Ed25519
 * signature, and the package around them.
 */
final class TestPackages {
    /** One tar entry: {@code type} is the ustar type flag. */
    record Entry(String name, char type, int mode, String link, byte[] content) {
    }

    private TestPackages() {
    }

    static Entry dir(String name) {
        return new Entry(name + "/", '5', 0755, "", new byte[0]);
    }

    static Entry file(String name, String content) {
        return new Entry(name, '0', 0755, "", content.getBytes(StandardCharsets.UTF_8));
    }

    static Entry symlink(String name, String target) {
        return new Entry(name, '2', 0777, target, new byte[0]);
    }

    static Entry hardLink(String name, String target) {
        return new Entry(name, '1', 0644, target, new byte[0]);
    }

    static Entry special(String name, char type) {
        return new Entry(name, type, 0600, "", new byte[0]);
    }

    /** What a lite root needs to be accepted: /bin/sh and /sbin/qube-init. */
    static List<Entry> minimalRoot() {
        return new ArrayList<>(List.of(dir("bin"), file("bin/busybox", "not really busybox"), symlink("bin/sh", "busybox"), dir("sbin"),
                file("sbin/qube-init", "#!/bin/sh\n")));
    }

    static byte[] rootArchive(List<Entry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(tar(entries));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * A package of the root archive signed by {@code key}. {@code afterSigning} may change the
     * manifest bytes once signed, {@code payload} may replace the payload once hashed.
     */
    static byte[] pack(String name, byte[] root, KeyPair key, UnaryOperator<byte[]> afterSigning, UnaryOperator<byte[]> payload) {
        return pack(name, root, unpackedSize(root), key, afterSigning, payload);
    }

    /** A package whose manifest declares that the root unpacks to {@code unpacked} bytes, true or not. */
    static byte[] pack(String name, byte[] root, long unpacked, KeyPair key, UnaryOperator<byte[]> afterSigning,
            UnaryOperator<byte[]> payload) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode manifest = json.createObjectNode();
        manifest.put("format", 1);
        manifest.put("name", name);
        manifest.put("version", "1.0");
        manifest.putArray("backends").add("lite");
        ObjectNode file = manifest.putArray("files").addObject();
        file.put("name", "root.tar.gz");
        file.put("kind", "rootfs");
        file.putArray("backends").add("lite");
        file.put("size", root.length);
        file.put("sha256", sha256(root));
        file.put("unpacked_size", unpacked);
        try {
            byte[] manifestBytes = json.writeValueAsBytes(manifest);
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(key.getPrivate());
            signer.update(manifestBytes);
            String signature = "algorithm=ed25519\npublic-key=" + Base64.getEncoder().encodeToString(key.getPublic().getEncoded())
                    + "\nsignature=" + Base64.getEncoder().encodeToString(signer.sign()) + "\n";
            return tar(List.of(new Entry("manifest.json", '0', 0644, "", afterSigning.apply(manifestBytes)),
                    new Entry("manifest.sig", '0', 0644, "", signature.getBytes(StandardCharsets.US_ASCII)),
                    new Entry("root.tar.gz", '0', 0644, "", payload.apply(root))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is part of every Java 17", e);
        }
    }

    /** The bytes of the regular files in a gzip-compressed ustar archive, as its manifest declares them. */
    private static long unpackedSize(byte[] root) {
        byte[] tar;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(root))) {
            tar = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long total = 0;
        for (int at = 0; at + 512 <= tar.length && tar[at] != 0; ) {
            long size = Long.parseLong(new String(tar, at + 124, 11, StandardCharsets.US_ASCII), 8);
            if (tar[at + 156] == '0') {
                total += size;
            }
            at += 512 + (size + 511) / 512 * 512;
        }
        return total;
    }

    static String publicKeyPem(KeyPair key) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(key.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Plain ustar: names under 100 bytes, as every entry here has. */
    private static byte[] tar(List<Entry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Entry e : entries) {
            byte[] h = new byte[512];
            put(h, 0, e.name());
            put(h, 100, String.format("%07o", e.mode()));
            put(h, 108, "0000000");
            put(h, 116, "0000000");
            put(h, 124, String.format("%011o", e.content().length));
            put(h, 136, String.format("%011o", 1_700_000_000L));
            h[156] = (byte) e.type();
            put(h, 157, e.link());
            put(h, 257, "ustar");
            put(h, 263, "00");
            for (int i = 148; i < 156; i++) {
                h[i] = ' ';
            }
            long sum = 0;
            for (byte b : h) {
                sum += b & 0xff;
            }
            put(h, 148, String.format("%06o", sum));
            h[154] = 0;
            out.writeBytes(h);
            out.writeBytes(e.content());
            out.writeBytes(new byte[(512 - e.content().length % 512) % 512]);
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static void put(byte[] h, int offset, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 99) {
            throw new IllegalArgumentException("'" + text + "' does not fit a plain ustar field");
        }
        System.arraycopy(bytes, 0, h, offset, bytes.length);
    }
}
