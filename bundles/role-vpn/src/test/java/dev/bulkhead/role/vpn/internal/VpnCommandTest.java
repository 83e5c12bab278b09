package dev.bulkhead.role.vpn.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;

/** What {@code qvm:vpn} refuses before it looks for a qube or a file: none is consulted, so none is given. */
class VpnCommandTest {
    private final VpnCommand command = new VpnCommand(null, null, null);

    @Test
    void anUnsetArgumentIsNamedByItsPosition() {
        for (String[] args : new String[][] { { "import", "sys-vpn", null }, { "status", null }, { null } }) {
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> command.vpn(args));
            assertTrue(e.getMessage().contains("is missing"), e.getMessage());
        }
    }

    @Test
    void anUnknownActionIsRefusedWithTheUsage() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> command.vpn("export", "sys-vpn"));
        assertTrue(e.getMessage().contains(VpnCommand.USAGE), e.getMessage());
    }
}
