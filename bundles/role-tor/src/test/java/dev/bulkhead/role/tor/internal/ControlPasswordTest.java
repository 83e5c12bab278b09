package dev.bulkhead.role.tor.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import dev.bulkhead.testing.ScratchNetwork;

class ControlPasswordTest {
    /** What {@code tor --hash-password secretpw} printed once: its salt, count byte and digest. */
    private static final String BY_TOR = "16:F67ED9607CCCAF5860CF64F0A78541B06658F9FB1C00FC3E60B28ECC7C";

    @Test
    void theHashIsTorsForTheSameSalt() {
        assertEquals(BY_TOR, ControlPassword.hash("secretpw", salt(BY_TOR)));
    }

    /** The twin: tor itself, with a salt of its choosing, hashes a password of ours the same way. */
    @Test
    void theHashIsWhatTorComputesNow() {
        String password = ControlPassword.generate(new SecureRandom());
        String byTor = ScratchNetwork.check(ScratchNetwork.run(null, "tor", "--quiet", "--hash-password", password)).stdout().strip();
        assertEquals(byTor, ControlPassword.hash(password, salt(byTor)));
    }

    @Test
    void passwordsAreLettersAndDigitsAndDiffer() {
        SecureRandom random = new SecureRandom();
        String a = ControlPassword.generate(random);
        assertTrue(a.matches("[A-Za-z0-9]{32}"), a);
        assertNotEquals(a, ControlPassword.generate(random));
        String hashed = ControlPassword.hash(a, random);
        assertTrue(hashed.matches("16:[0-9A-F]{16}60[0-9A-F]{40}"), hashed);
    }

    private static byte[] salt(String hashed) {
        return HexFormat.of().parseHex(hashed.substring(3, 19));
    }
}
