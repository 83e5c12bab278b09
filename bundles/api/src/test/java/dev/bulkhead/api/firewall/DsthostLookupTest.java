package dev.bulkhead.api.firewall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.InvalidValueException;

/**
 * A dsthost that looks numeric is read as an address literal and never looked up as a name: parsing a
 * rule must not send the user's text to a resolver. A JVM of its own reads its names from a hosts file
 * that knows every such text, so that a lookup would show as an address where there should be a refusal.
 */
class DsthostLookupTest {
    private static final List<String> NOT_ADDRESSES = List.of(".:", ".::1", "..:", ".1:2");

    @TempDir
    Path temp;

    @Test
    void aNumericLookingDsthostIsNeverLookedUp() throws IOException, InterruptedException {
        Path hosts = Files.writeString(temp.resolve("hosts"),
                String.join("", NOT_ADDRESSES.stream().map(name -> "192.0.2.99 " + name + "\n").toList()));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djdk.net.hosts.file=" + hosts, "-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        command.addAll(NOT_ADDRESSES);
        Process probe = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(probe.waitFor(60, TimeUnit.SECONDS), "the probe ends");

        assertEquals(0, probe.exitValue(), out);
        assertEquals(NOT_ADDRESSES.stream().map(name -> name + " refused").toList(), out.lines().toList());
    }

    /** Parses a rule for each dsthost given and prints what came of it. */
    public static final class Probe {
        public static void main(String[] args) {
            for (String host : args) {
                try {
                    System.out.println(host + " -> " + FirewallRule.parse("action=accept dsthost=" + host, Instant.EPOCH).dsthost());
                } catch (InvalidValueException e) {
                    System.out.println(host + " refused");
                }
            }
        }
    }
}
