package dev.bulkhead.role.tor.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class TorStatusTest {
    private static String replies(String... lines) {
        return String.join("\r\n", lines) + "\r\n";
    }

    @Test
    void aStartingTorWithoutCircuits() {
        TorStatus s = TorStatus.parse(replies("250 OK", "250-version=0.4.9.11",
                "250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=0 TAG=starting SUMMARY=\"Starting\"",
                "250-status/circuit-established=0", "250 OK", "250-circuit-status=", "250 OK", "250 closing connection"));
        assertTrue(s.answered());
        assertEquals("0.4.9.11", s.version());
        assertEquals(0, s.progress());
        assertEquals("starting", s.tag());
        assertEquals("Starting", s.summary());
        assertNull(s.warning());
        assertFalse(s.circuitEstablished());
        assertEquals(List.of(), s.circuits());
    }

    @Test
    void aStuckBootstrapSaysWhy() {
        TorStatus s = TorStatus.parse(replies("250 OK", "250-version=0.4.9.11",
                "250-status/bootstrap-phase=WARN BOOTSTRAP PROGRESS=1 TAG=conn_pt SUMMARY=\"Connecting to \\\"the\\\" bridge\""
                        + " WARNING=\"Connection refused\" REASON=CONNECTREFUSED COUNT=3 RECOMMENDATION=warn HOSTADDR=\"203.0.113.30:443\"",
                "250-status/circuit-established=0", "250 OK", "250-circuit-status=", "250 OK"));
        assertEquals(1, s.progress());
        assertEquals("Connecting to \"the\" bridge", s.summary());
        assertEquals("Connection refused (CONNECTREFUSED)", s.warning());
    }

    @Test
    void circuitsInADataBlockAndOneInline() {
        TorStatus s = TorStatus.parse(replies("250 OK", "250-version=0.4.9.11",
                "250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY=\"Done\"",
                "250-status/circuit-established=1", "250 OK", "250+circuit-status=",
                "7 BUILT $AAAA~guard,$BBBB~middle,$CCCC~exit BUILD_FLAGS=NEED_CAPACITY PURPOSE=GENERAL TIME_CREATED=2026-11-27T00:00:00",
                "8 LAUNCHED BUILD_FLAGS=NEED_CAPACITY PURPOSE=GENERAL TIME_CREATED=2026-11-27T00:00:01",
                "9 EXTENDED $AAAA,$DDDD~other PURPOSE=CONFLUX_LINKED", ".", "250 OK"));
        assertEquals(100, s.progress());
        assertTrue(s.circuitEstablished());
        assertEquals(List.of(new TorStatus.Circuit("7", "BUILT", "GENERAL", List.of("guard", "middle", "exit")),
                new TorStatus.Circuit("8", "LAUNCHED", "GENERAL", List.of()),
                new TorStatus.Circuit("9", "EXTENDED", "CONFLUX_LINKED", List.of("$AAAA", "other"))), s.circuits());
        assertEquals(1, s.built());

        TorStatus one = TorStatus.parse(replies("250 OK", "250-version=0.4.9.11",
                "250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY=\"Done\"",
                "250-status/circuit-established=1", "250 OK", "250-circuit-status=3 BUILT $AAAA~guard PURPOSE=GENERAL", "250 OK"));
        assertEquals(List.of(new TorStatus.Circuit("3", "BUILT", "GENERAL", List.of("guard"))), one.circuits());
    }

    @Test
    void aRefusedPasswordOrNoAnswerIsNoStatus() {
        TorStatus refused = TorStatus.parse(replies("515 Authentication failed: Password did not match HashedControlPassword value"));
        assertFalse(refused.answered());
        assertTrue(refused.problem().contains("515 Authentication failed"), refused.problem());
        assertFalse(TorStatus.parse("").answered());
        TorStatus garbled = TorStatus.parse(replies("250 OK", "552 Unrecognized key \"status/bootstrap-phase\""));
        assertTrue(garbled.problem().contains("552"), garbled.problem());
    }

    @Test
    void theShellShowsProgressAndCircuits() {
        TorStatus s = TorStatus.parse(replies("250 OK", "250-version=0.4.9.11",
                "250-status/bootstrap-phase=WARN BOOTSTRAP PROGRESS=10 TAG=conn_done SUMMARY=\"Connected to a relay\" WARNING=\"timeout\"",
                "250-status/circuit-established=0", "250 OK", "250-circuit-status=4 BUILT $A~a,$B~b PURPOSE=GENERAL", "250 OK"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TorStatusCommand.print("sys-tor", s, new PrintStream(out, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("sys-tor: tor 0.4.9.11"), printed);
        assertTrue(printed.contains("bootstrap  10% conn_done: Connected to a relay"), printed);
        assertTrue(printed.contains("problem    timeout"), printed);
        assertTrue(printed.contains("circuits   1 built of 1, none ready for streams"), printed);
        assertTrue(printed.contains("a > b"), printed);

        out.reset();
        TorStatusCommand.print("sys-tor", TorStatus.unavailable("tor is not running"), new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals("sys-tor: tor is not running\n", out.toString(StandardCharsets.UTF_8));
    }
}
