package dev.bulkhead.policy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.policy.CallRecord;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.Prompt;

/** What qvm:policy ask and qvm:policy log print. */
class PolicyCommandTest {
    @Test
    void askListsEachPromptWithItsIdTheCallTheTimeLeftAndTheTargetsDefaultMarked() {
        Instant now = Instant.parse("2026-01-01T10:00:00Z");
        Prompt p = new Prompt("ab12", "work", "qubes.Filecopy", "+", "@default", List.of("@dispvm:dvm", "personal"), "personal",
                now.minusSeconds(5), now.plusSeconds(55));
        assertEquals("""
                ab12  work -> @default  qubes.Filecopy  55 s left
                    targets: @dispvm:dvm, personal*
                """, print(out -> PolicyCommand.prompts(List.of(p), now, out)));
        assertEquals("no prompt waits\n", print(out -> PolicyCommand.prompts(List.of(), now, out)));
    }

    @Test
    void logPrintsOneLineACall() {
        CallRecord a = new CallRecord(Instant.parse("2026-01-01T10:00:00.123Z"), "work", "qubes.Filecopy", "+", "@default", "personal",
                PolicyAction.ASK, true, "50-a.policy:2, allowed by console");
        CallRecord d = new CallRecord(Instant.parse("2026-01-01T10:00:01Z"), "work", "qubes.VMShell", "+x", "vault", null,
                PolicyAction.DENY, false, "no rule matched");
        assertEquals("""
                2026-01-01T10:00:00Z  work -> @default (personal)  qubes.Filecopy  ask allowed  50-a.policy:2, allowed by console
                2026-01-01T10:00:01Z  work -> vault  qubes.VMShell+x  deny refused  no rule matched
                """, print(out -> PolicyCommand.log(List.of(a, d), out)));
    }

    private static String print(java.util.function.Consumer<PrintStream> what) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        what.accept(new PrintStream(b, true, StandardCharsets.UTF_8));
        return b.toString(StandardCharsets.UTF_8);
    }
}
