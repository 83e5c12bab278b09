package dev.bulkhead.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeProperty;

class PropertyHelpTest {
    static List<String> lines(String property) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PropertyHelp.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), property);
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void everyDeclaredPropertyHasALine() {
        List<String> lines = lines(null);
        assertTrue(lines.get(0).startsWith("PROPERTY  "), lines.get(0));
        assertEquals(QubeProperty.values().length + 1, lines.size());
        for (QubeProperty p : QubeProperty.values()) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(p.id() + " ") && l.contains(p.description())), p.id());
        }
    }

    @Test
    void onePropertyShowsItsDefaultClassesAndWhenItChanges() {
        List<String> lines = lines("template");
        assertEquals(2, lines.size());
        String template = lines.get(1);
        assertTrue(template.matches("template +QUBE +AppVM,DispVM +halted +none +TemplateVM whose root .*; accepts the name of a qube, or none"),
                template);
        assertTrue(lines("memory").get(1).matches("memory +INT +all-but-dom0 +any time +the template's, else 400 +.*accepts a whole number from 1 to 1048576"),
                lines("memory").get(1));
        assertTrue(lines("qid").get(1).contains(" read-only "));
    }

    @Test
    void anUnknownPropertyIsNamed() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> lines("colour"));
        assertTrue(e.getMessage().startsWith("invalid property 'colour': one of name,"), e.getMessage());
    }
}
