package dev.bulkhead.example.dns.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.bulkhead.api.InvalidValueException;

class BlockListTest {
    @Test
    void namesAreCommaSeparatedLowerCaseAndListedOnce() {
        BlockList list = BlockList.parse(" Ads.Test, tracker.test,, ads.test ,_dmarc.x-1.test ");
        assertEquals(List.of("ads.test", "tracker.test", "_dmarc.x-1.test"), list.names());
        assertEquals("ads.test,tracker.test,_dmarc.x-1.test", list.text());
        assertEquals(list, BlockList.parse(list.text()));
    }

    @Test
    void anEmptySettingBlocksNothing() {
        assertEquals(List.of(), BlockList.parse("").names());
        assertEquals(List.of(), BlockList.parse(" , ").names());
    }

    @Test
    void aTopLevelNameAndTheLongestNamesPass() {
        String label63 = "a".repeat(63);
        String name253 = label63 + "." + label63 + "." + label63 + "." + "b".repeat(61);
        assertEquals(253, name253.length());
        assertEquals(List.of("test", name253), BlockList.parse("test," + name253).names());
    }

    @ParameterizedTest
    @ValueSource(strings = { "*.ads.test", "ads..test", ".ads.test", "ads.test.", "-ads.test", "ads-.test", "ads test", "ads/test",
            "ads.test/1.2.3.4", "a#b.test", "äds.test", "ads.test\nserver=198.51.100.1" })
    void anEntryThatIsNotADomainNameIsRefusedByName(String entry) {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> BlockList.parse("good.test," + entry + ",other.test"));
        assertEquals(entry, e.value());
        assertTrue(e.getMessage().contains("'" + entry + "'") && e.getMessage().contains("every name under it"), e.getMessage());
    }

    @Test
    void tooLongLabelsAndNamesAreRefused() {
        String label64 = "a".repeat(64);
        assertThrows(InvalidValueException.class, () -> BlockList.parse(label64 + ".test"));
        String name254 = "a".repeat(63) + "." + "a".repeat(63) + "." + "a".repeat(63) + "." + "b".repeat(62);
        assertEquals(254, name254.length());
        assertThrows(InvalidValueException.class, () -> BlockList.parse(name254));
    }

    @Test
    void namesAreAddedAtTheEndAndRemovedWhereverTheyAre() {
        BlockList list = BlockList.parse("a.test,b.test");
        assertEquals(List.of("a.test", "b.test", "c.test"), list.with(List.of("B.test", "c.test")).names());
        assertEquals(List.of("b.test"), list.without(List.of("A.TEST")).names());
        assertThrows(InvalidValueException.class, () -> list.with(List.of("bad name")));
    }
}
