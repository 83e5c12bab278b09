package dev.bulkhead.api.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.bulkhead.api.InvalidValueException;

class ServiceNamesTest {
    @ParameterizedTest
    @ValueSource(strings = { "qubes.Gui", "qubes.ClipboardPaste+arg", "a", "x_y-z.1" })
    void acceptsQubesServiceNames(String service) {
        assertEquals(service, ServiceNames.validate(service));
    }

    @ParameterizedTest
    @ValueSource(strings = { "", ".", "..", ".hidden", "a/b", "../x", "a b", "qubes.Gui\n", "é", "a:b", "a\0b" })
    void refusesNamesOutsideTheRules(String service) {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> ServiceNames.validate(service));
        assertTrue(e.getMessage().contains("service"), e.getMessage());
    }

    @Test
    void refusesNullAndNamesOverTheLengthBound() {
        assertThrows(InvalidValueException.class, () -> ServiceNames.validate(null));
        assertEquals("s".repeat(ServiceNames.MAX_LENGTH), ServiceNames.validate("s".repeat(ServiceNames.MAX_LENGTH)));
        InvalidValueException e = assertThrows(InvalidValueException.class,
                () -> ServiceNames.validate("s".repeat(ServiceNames.MAX_LENGTH + 1)));
        assertTrue(e.getMessage().contains("at most " + ServiceNames.MAX_LENGTH), e.getMessage());
    }
}
