package dev.bulkhead.gui.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.policy.CallRecord;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.Prompt;

class ClipboardPolicyTest {
    @Test
    void everyPasteIsAllowedUnlessADenyEntryMatches() {
        ClipboardPolicy none = ClipboardPolicy.parse(new String[0]);
        assertTrue(none.allows("a", "b"));
        ClipboardPolicy policy = ClipboardPolicy.parse(new String[] {"work:*", "*:vault", " a:b "});
        assertFalse(policy.allows("work", "personal"));
        assertFalse(policy.allows("personal", "vault"));
        assertFalse(policy.allows("a", "b"));
        assertTrue(policy.allows("b", "a"));
        assertTrue(policy.allows("personal", "work"));
    }

    @Test
    void aBadEntryIsRefusedByName() {
        for (String bad : new String[] {"a", "a:b:c", ":b", "a:", "a b:c", "../x:y"}) {
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> ClipboardPolicy.parse(new String[] {bad}), bad);
            assertTrue(e.getMessage().contains(bad.strip()) && e.getMessage().contains("SOURCE:TARGET"), e.getMessage());
        }
    }

    @Test
    void theBrokerRefusesAnAnswerOverTheLimitAndKeepsNoContentInItsLog() {
        ScriptedPolicy policy = new ScriptedPolicy().set("a", "b", PolicyAction.ALLOW).set("a", "c", PolicyAction.ALLOW);
        ClipboardBroker broker = broker(policy);
        broker.configure(ClipboardPolicy.parse(new String[0]), 4);
        broker.copyRequested("a");
        broker.received("a", "12345".getBytes());
        assertEquals(List.of(), paste(broker, "b"));
        broker.copyRequested("a");
        broker.received("a", "1234".getBytes());
        assertEquals(List.of("1234"), paste(broker, "b"));
        assertEquals(List.of(), paste(broker, "c"), "a paste empties the buffer");
        assertEquals("[clipboard refused, over 4 bytes: 5 bytes from a, clipboard copied: 4 bytes from a,"
                + " clipboard pasted: 4 bytes from a to b]", broker.transfers().toString());
        assertEquals(1, policy.calls.size());
        CallRecord call = policy.calls.get(0);
        assertEquals(List.of("a", "qubes.ClipboardPaste", "b", "b", "true", "4 bytes; 30-test.policy:1"), List.of(call.source(),
                call.service(), call.targetAsked(), call.target(), String.valueOf(call.allowed()), call.detail()), "the size, never the text");
    }

    @Test
    void thePolicyDecidesEachPasteDenyRefusesAndKeepsTheBuffer() {
        ScriptedPolicy policy = new ScriptedPolicy().set("a", "b", PolicyAction.DENY).set("a", "c", PolicyAction.ALLOW);
        ClipboardBroker broker = copied(broker(policy), "a", "text");
        assertEquals(List.of(), paste(broker, "b"));
        assertEquals(List.of("text"), paste(broker, "c"));
        assertEquals(List.of(false, true), policy.calls.stream().map(CallRecord::allowed).toList());
        assertEquals(PolicyAction.DENY, policy.calls.get(0).action());
        assertEquals(null, policy.calls.get(0).target());
    }

    @Test
    void aDenyEntryRefusesWhatThePolicyAllows() {
        ScriptedPolicy policy = new ScriptedPolicy().set("a", "b", PolicyAction.ALLOW);
        ClipboardBroker broker = broker(policy);
        broker.configure(ClipboardPolicy.parse(new String[] {"a:b"}), 100);
        copied(broker, "a", "text");
        assertEquals(List.of(), paste(broker, "b"));
        assertEquals("[clipboard copied: 4 bytes from a, clipboard denied: 4 bytes from a to b]", broker.transfers().toString());
    }

    @Test
    void askPastesOnlyWhenTheUserAllowsAndOffersOnlyTheWindowsQube() {
        ScriptedPolicy policy = new ScriptedPolicy().set("a", "b", PolicyAction.ASK);
        ClipboardBroker broker = copied(broker(policy), "a", "text");
        List<String> sent = new ArrayList<>();
        broker.paste("b", d -> sent.add(new String(d)));
        assertEquals(List.of(), sent, "nothing before the answer");
        assertEquals(1, policy.asked.size());
        Prompt p = policy.asked.get(0);
        assertEquals(List.of("b"), p.targets(), "the paste goes to the window's qube or nowhere");
        assertEquals("qubes.ClipboardPaste", p.service());
        policy.answer(p.id(), false, null, "gui");
        assertEquals(List.of(), sent);
        broker.paste("b", d -> sent.add(new String(d)));
        policy.answer(policy.asked.get(1).id(), true, "b", "console");
        assertEquals(List.of("text"), sent);
        assertEquals(List.of("4 bytes; 30-test.policy:1, denied by gui", "4 bytes; 30-test.policy:1, allowed by console"),
                policy.calls.stream().map(CallRecord::detail).toList());
        broker.paste("b", d -> sent.add(new String(d)));
        assertEquals(2, policy.asked.size(), "the buffer was emptied by the paste");
    }

    @Test
    void withoutThePolicyServiceEveryPasteIsRefusedAndAskWithoutPromptsToo() {
        ClipboardBroker none = copied(configured(new ClipboardBroker(new ClipboardDecision(() -> null, () -> null, () -> null))), "a", "text");
        assertEquals(List.of(), paste(none, "b"));
        assertEquals("[clipboard copied: 4 bytes from a, clipboard denied: 4 bytes from a to b]", none.transfers().toString());
        ScriptedPolicy policy = new ScriptedPolicy().set("a", "b", PolicyAction.ASK);
        ClipboardBroker noPrompts = copied(configured(new ClipboardBroker(new ClipboardDecision(() -> policy, () -> null, () -> policy))), "a", "t");
        assertEquals(List.of(), paste(noPrompts, "b"));
        assertEquals("1 bytes; 30-test.policy:1, no prompt service: refused", policy.calls.get(0).detail());
    }

    private static ClipboardBroker broker(ScriptedPolicy policy) {
        return configured(new ClipboardBroker(new ClipboardDecision(() -> policy, () -> policy, () -> policy)));
    }

    private static ClipboardBroker configured(ClipboardBroker broker) {
        broker.configure(ClipboardPolicy.parse(new String[0]), 100);
        return broker;
    }

    private static ClipboardBroker copied(ClipboardBroker broker, String qube, String text) {
        broker.copyRequested(qube);
        broker.received(qube, text.getBytes());
        return broker;
    }

    /** What a paste into {@code target} sends it at once. */
    private static List<String> paste(ClipboardBroker broker, String target) {
        List<String> sent = new ArrayList<>();
        broker.paste(target, d -> sent.add(new String(d)));
        return sent;
    }
}
