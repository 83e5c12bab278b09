package dev.bulkhead.templates.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

import dev.bulkhead.api.AdminException;

/**
 * Ed25519 keys as PEM files, the form OpenSSL reads and writes ({@code openssl genpkey -algorithm
 * ed25519}): a public key is an X.509 SubjectPublicKeyInfo ({@code PUBLIC KEY}), a private key
 * PKCS#8 ({@code PRIVATE KEY}). A key's id is the first 16 hex digits of the SHA-256 of its
 * encoded public key.
 */
public final class Ed25519Keys {
    static final String ALGORITHM = "Ed25519";
    private static final String PUBLIC = "PUBLIC KEY";
    private static final String PRIVATE = "PRIVATE KEY";

    private Ed25519Keys() {
    }

    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java 17 runtime has Ed25519", e);
        }
    }

    public static String id(PublicKey key) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    public static PublicKey publicKey(byte[] encoded) {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(encoded));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new AdminException("not an Ed25519 public key: " + e.getMessage(), e);
        }
    }

    public static String pem(PublicKey key) {
        return pem(PUBLIC, key.getEncoded());
    }

    public static String pem(PrivateKey key) {
        return pem(PRIVATE, key.getEncoded());
    }

    public static PublicKey readPublic(Path file) {
        return publicKey(readPem(file, PUBLIC));
    }

    public static PrivateKey readPrivate(Path file) {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(readPem(file, PRIVATE)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new AdminException("private key " + file + " is not an Ed25519 key: " + e.getMessage(), e);
        }
    }

    /** The public keys in {@code *.pub} files of a directory, by id; a missing directory holds none. */
    public static Map<String, PublicKey> trusted(Path directory) {
        Map<String, PublicKey> keys = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.pub")) {
            for (Path f : files) {
                PublicKey key = readPublic(f);
                keys.put(id(key), key);
            }
        } catch (NoSuchFileException e) {
            return keys;
        } catch (IOException e) {
            throw new AdminException("cannot read the trusted template keys in " + directory + ": " + e.getMessage(), e);
        }
        return keys;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static byte[] readPem(Path file, String type) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new AdminException("cannot read key file " + file + ": " + e.getMessage(), e);
        }
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            throw new AdminException("key file " + file + " holds no PEM '" + type + "' block");
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new AdminException("key file " + file + " has a damaged PEM block: " + e.getMessage(), e);
        }
    }
}
