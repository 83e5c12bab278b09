package dev.bulkhead.api.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;

class CommandLineTest {
    static CommandLine parse(String... args) {
        return CommandLine.parse(args, Set.of("--force"), Set.of("--label", "--property"), Map.of("-l", "--label"));
    }

    @Test
    void optionsThenOperands() {
        CommandLine cl = parse("--label", "red", "--force", "work");
        assertEquals("red", cl.value("--label", null));
        assertTrue(cl.flag("--force"));
        assertEquals(List.of("work"), cl.operands());
    }

    @Test
    void repeatedOptionsAndEqualsForm() {
        CommandLine cl = parse("--property=memory=512", "--property", "vcpus=1", "-l", "blue", "x");
        assertEquals(List.of("memory=512", "vcpus=1"), cl.values("--property"));
        assertEquals("blue", cl.value("--label", null));
    }

    @Test
    void theFirstOperandEndsTheOptionsSoACommandKeepsItsOwn() {
        CommandLine cl = parse("work", "ls", "--force");
        assertEquals(List.of("work", "ls", "--force"), cl.operands());
        assertTrue(!cl.flag("--force"));
        assertEquals(List.of("--force", "x"), parse("--", "--force", "x").operands());
    }

    @Test
    void unknownOptionAndMissingValueAreNamed() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> parse("--colour", "red", "x"));
        assertTrue(e.getMessage().contains("'--colour'") && e.getMessage().contains("--label"), e.getMessage());
        e = assertThrows(InvalidValueException.class, () -> parse("--label"));
        assertTrue(e.getMessage().contains("--label"), e.getMessage());
    }

    @Test
    void operandCountIsChecked() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> parse("a", "b").operands(1, 1, "cmd NAME"));
        assertTrue(e.getMessage().contains("usage: cmd NAME"), e.getMessage());
    }

    @Test
    void secondsArePositiveWholeNumbersAndAbsentIsNull() {
        CommandLine timed = CommandLine.parse(new String[] { "--timeout=90", "work" }, Set.of(), Set.of("--timeout"), Map.of());
        assertEquals(Duration.ofSeconds(90), timed.seconds("--timeout"));
        assertNull(parse("work").seconds("--timeout"));
        for (String bad : List.of("0", "-5", "1.5", "ten", "")) {
            CommandLine cl = CommandLine.parse(new String[] { "--timeout", bad, "work" }, Set.of(), Set.of("--timeout"), Map.of());
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> cl.seconds("--timeout"));
            assertTrue(e.getMessage().contains("--timeout") && e.getMessage().contains("a positive number of seconds"), e.getMessage());
        }
    }

    @Test
    void anUnsetVariableIsNamedByItsPosition() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> parse("--force", null, "work"));
        assertTrue(e.getMessage().contains("argument 2 is missing"), e.getMessage());
    }

    @Test
    void controlCharactersInAnUnknownOptionAreNotPrinted() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> parse("--x\u001b[2J", "work"));
        assertTrue(e.getMessage().contains("--x?[2J") && !e.getMessage().contains("\u001b"), e.getMessage());
    }
}
