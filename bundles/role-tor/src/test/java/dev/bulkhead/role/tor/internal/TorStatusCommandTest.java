package dev.bulkhead.role.tor.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;

/** What {@code qvm:tor} refuses before it looks for a qube: no qube is consulted, so none is given. */
class TorStatusCommandTest {
    private final TorStatusCommand command = new TorStatusCommand(null, null);

    @Test
    void anUnsetArgumentIsNamedByItsPosition() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> command.tor("status", null));
        assertTrue(e.getMessage().contains("argument 2 is missing"), e.getMessage());
    }

    @Test
    void anythingButStatusAndOneNameIsRefusedWithTheUsage() {
        for (String[] args : new String[][] { {}, { "status" }, { "status", "a", "b" }, { "stats", "a" }, { "--all", "status", "a" } }) {
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> command.tor(args));
            assertTrue(e.getMessage().contains(TorStatusCommand.USAGE) || e.getMessage().contains("takes no options"), e.getMessage());
        }
    }
}
