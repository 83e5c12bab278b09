package dev.bulkhead.role.tor.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The password of a TorVM's ControlPort, and the form tor's HashedControlPassword takes: the
 * iterated and salted S2K of OpenPGP (RFC 4880, 3.7.1.3) with SHA-1, written as {@code 16:} and the
 * hex of salt, count byte and digest, as {@code tor --hash-password} prints it.
 */
final class ControlPassword {
    /** Tor's count byte: 65,536 bytes hashed. */
    private static final int COUNT_BYTE = 0x60;
    private static final int EXPBIAS = 6;
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private ControlPassword() {
    }

    /** A new password of 32 letters and digits: nothing in it needs quoting anywhere. */
    static String generate(SecureRandom random) {
        StringBuilder password = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            password.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return password.toString();
    }

    static String hash(String password, SecureRandom random) {
        byte[] salt = new byte[8];
        random.nextBytes(salt);
        return hash(password, salt);
    }

    static String hash(String password, byte[] salt) {
        byte[] secret = password.getBytes(StandardCharsets.UTF_8);
        byte[] input = new byte[salt.length + secret.length];
        System.arraycopy(salt, 0, input, 0, salt.length);
        System.arraycopy(secret, 0, input, salt.length, secret.length);
        long count = Math.max((16L + (COUNT_BYTE & 15)) << ((COUNT_BYTE >> 4) + EXPBIAS), input.length);
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-1", e);
        }
        while (count > 0) {
            int n = (int) Math.min(count, input.length);
            sha1.update(input, 0, n);
            count -= n;
        }
        HexFormat hex = HexFormat.of().withUpperCase();
        return "16:" + hex.formatHex(salt) + hex.toHexDigits((byte) COUNT_BYTE) + hex.formatHex(sha1.digest());
    }
}
