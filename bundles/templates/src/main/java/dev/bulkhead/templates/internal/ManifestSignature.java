package dev.bulkhead.templates.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.bulkhead.api.AdminException;

/**
 * The {@code manifest.sig} of a template package: the Ed25519 signature over the exact bytes of
 * {@code manifest.json}, with the public key that made it, so that a package signed by a key the
 * platform does not trust can still be checked for integrity. Three lines:
 * <pre>
 * algorithm=ed25519
 * public-key=BASE64 (X.509 SubjectPublicKeyInfo)
 * signature=BASE64
 * </pre>
 */
public record ManifestSignature(PublicKey key, byte[] signature) {
    private static final List<String> KEYS = List.of("algorithm", "public-key", "signature");

    public static ManifestSignature sign(byte[] manifest, PrivateKey privateKey, PublicKey publicKey) {
        try {
            Signature s = Signature.getInstance(Ed25519Keys.ALGORITHM);
            s.initSign(privateKey);
            s.update(manifest);
            ManifestSignature signed = new ManifestSignature(publicKey, s.sign());
            if (!signed.verifies(manifest)) {
                throw new AdminException("the private key does not belong to public key " + Ed25519Keys.id(publicKey));
            }
            return signed;
        } catch (GeneralSecurityException e) {
            throw new AdminException("cannot sign with this key: " + e.getMessage(), e);
        }
    }

    /** Whether the signature is the key's over exactly these bytes. */
    public boolean verifies(byte[] manifest) {
        try {
            Signature s = Signature.getInstance(Ed25519Keys.ALGORITHM);
            s.initVerify(key);
            s.update(manifest);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    public String keyId() {
        return Ed25519Keys.id(key);
    }

    public byte[] encode() {
        return ("algorithm=ed25519\npublic-key=" + Base64.getEncoder().encodeToString(key.getEncoded()) + "\nsignature="
                + Base64.getEncoder().encodeToString(signature) + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    public static ManifestSignature parse(byte[] data) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : new String(data, StandardCharsets.US_ASCII).split("\n")) {
            int eq = line.indexOf('=');
            if (eq <= 0 || !KEYS.contains(line.substring(0, eq)) || fields.put(line.substring(0, eq), line.substring(eq + 1)) != null) {
                throw new AdminException("manifest.sig is not three lines algorithm=, public-key=, signature=");
            }
        }
        if (!fields.keySet().containsAll(KEYS) || !"ed25519".equals(fields.get("algorithm"))) {
            throw new AdminException("manifest.sig must name algorithm=ed25519 with a public-key= and a signature=");
        }
        try {
            return new ManifestSignature(Ed25519Keys.publicKey(Base64.getDecoder().decode(fields.get("public-key"))),
                    Base64.getDecoder().decode(fields.get("signature")));
        } catch (IllegalArgumentException e) {
            throw new AdminException("manifest.sig holds damaged base64: " + e.getMessage(), e);
        }
    }
}
