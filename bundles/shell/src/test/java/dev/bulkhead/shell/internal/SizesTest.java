package dev.bulkhead.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;

class SizesTest {
    @Test
    void bytesDecimalAndBinaryUnitsAsQvmVolumeTakesThem() {
        assertEquals(1234, Sizes.parse("1234"));
        assertEquals(2_000_000_000L, Sizes.parse("2GB"));
        assertEquals(2L << 30, Sizes.parse("2GiB"));
        assertEquals(512L << 20, Sizes.parse("512 MiB"));
        assertEquals(3_000_000L, Sizes.parse("3m"));
    }

    @Test
    void anythingElseIsRefusedNamingWhatIsAccepted() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> Sizes.parse("2 parsecs"));
        assertEquals("invalid size '2 parsecs': bytes, or a number with KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB"
                + " (powers of 1024)", e.getMessage());
        assertThrows(InvalidValueException.class, () -> Sizes.parse("-1"));
        assertThrows(InvalidValueException.class, () -> Sizes.parse("99999999999TiB"));
    }

    @Test
    void shownInTheLargestBinaryUnit() {
        assertEquals("2.0 GiB", Sizes.human(2L << 30));
        assertEquals("512 B", Sizes.human(512));
        assertEquals("1.5 MiB", Sizes.human(3L << 19));
    }
}
