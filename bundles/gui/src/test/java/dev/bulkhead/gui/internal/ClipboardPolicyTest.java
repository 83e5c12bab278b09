package dev.bulkhead.gui.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;

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
        ClipboardBroker broker = new ClipboardBroker();
        broker.configure(ClipboardPolicy.parse(new String[0]), 4);
        broker.copyRequested("a");
        broker.received("a", "12345".getBytes());
        assertTrue(broker.paste("b").isEmpty());
        broker.copyRequested("a");
        broker.received("a", "1234".getBytes());
        assertEquals("1234", new String(broker.paste("b").orElseThrow()));
        assertTrue(broker.paste("c").isEmpty(), "a paste empties the buffer");
        assertEquals("[clipboard refused, over 4 bytes: 5 bytes from a, clipboard copied: 4 bytes from a,"
                + " clipboard pasted: 4 bytes from a to b]", broker.transfers().toString());
    }
}
