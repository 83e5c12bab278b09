package dev.bulkhead.templates.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys and signatures, and that they are the ones OpenSSL makes and checks. */
class Ed25519KeysTest {
    @TempDir
    Path temp;

    @Test
    void aSignatureVerifiesOnlyForTheExactBytesAndSurvivesItsTextForm() {
        KeyPair key = Ed25519Keys.generate();
        byte[] manifest = "{\"name\":\"x\"}".getBytes(StandardCharsets.UTF_8);

        ManifestSignature signature = ManifestSignature.parse(ManifestSignature.sign(manifest, key.getPrivate(), key.getPublic()).encode());

        assertTrue(signature.verifies(manifest));
        assertFalse(signature.verifies("{\"name\":\"y\"}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(Ed25519Keys.id(key.getPublic()), signature.keyId());
        assertTrue(signature.keyId().matches("[0-9a-f]{16}"));
    }

    @Test
    void keysMadeByOpenSslAreReadAndOpenSslChecksOurSignatures() throws Exception {
        Path privatePem = temp.resolve("k.key");
        Path publicPem = temp.resolve("k.pub");
        run("openssl", "genpkey", "-algorithm", "ed25519", "-out", privatePem.toString());
        run("openssl", "pkey", "-in", privatePem.toString(), "-pubout", "-out", publicPem.toString());
        PrivateKey privateKey = Ed25519Keys.readPrivate(privatePem);
        PublicKey publicKey = Ed25519Keys.readPublic(publicPem);
        Path data = Files.writeString(temp.resolve("manifest.json"), "{\"name\":\"x\"}");
        Path sig = temp.resolve("sig");
        Files.write(sig, ManifestSignature.sign(Files.readAllBytes(data), privateKey, publicKey).signature());

        String verified = run("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", publicPem.toString(), "-rawin", "-in",
                data.toString(), "-sigfile", sig.toString());

        assertTrue(verified.contains("Signature Verified Successfully"), verified);
        Files.writeString(temp.resolve("ours.pub"), Ed25519Keys.pem(Ed25519Keys.generate().getPublic()));
        String ours = run("openssl", "pkey", "-pubin", "-in", temp.resolve("ours.pub").toString(), "-noout", "-text");
        assertTrue(ours.contains("ED25519 Public-Key"), ours);
    }

    @Test
    void theTrustedKeysAreThePubFilesOfTheDirectory() throws IOException {
        PublicKey a = Ed25519Keys.generate().getPublic();
        Files.writeString(temp.resolve("a.pub"), Ed25519Keys.pem(a));
        Files.writeString(temp.resolve("notes.txt"), "not a key");

        Map<String, PublicKey> trusted = Ed25519Keys.trusted(temp);

        assertEquals(Map.of(Ed25519Keys.id(a), a), trusted);
        assertEquals(Map.of(), Ed25519Keys.trusted(temp.resolve("missing")));
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
        return out;
    }
}
