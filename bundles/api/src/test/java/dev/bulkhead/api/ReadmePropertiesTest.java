package dev.bulkhead.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/**
 * README's property table is the declarations of {@link QubeProperty}, rendered. Run with
 * {@code -Dreadme.update=true} to write the table after a declaration changed.
 */
class ReadmePropertiesTest {
    static final String BEGIN = "// begin: property table, rendered from QubeProperty by ReadmePropertiesTest\n";
    static final String END = "// end: property table\n";
    private static final Path README = Path.of("../../README.adoc");

    static String table() {
        StringBuilder b = new StringBuilder("[cols=\"2,1,2,3,1,4\"]\n|===\n|Property |Type |Classes |Default |While running |Meaning\n");
        for (QubeProperty p : QubeProperty.values()) {
            b.append("|`").append(p.id()).append("` |").append(p.type()).append(" |").append(classes(p.classes()))
                    .append(" |").append(p.defaultValue().describe())
                    .append(" |").append(p.readOnly() ? "read-only" : p.changesWhileRunning() ? "yes" : "no, only halted")
                    .append(" |").append(p.description()).append('\n');
        }
        return b.append("|===\n").toString();
    }

    private static String classes(Set<QubeClass> classes) {
        if (classes.equals(EnumSet.allOf(QubeClass.class))) {
            return "all";
        }
        if (classes.equals(EnumSet.complementOf(EnumSet.of(QubeClass.AdminVM)))) {
            return "all but AdminVM";
        }
        return classes.stream().map(QubeClass::name).collect(Collectors.joining(", "));
    }

    @Test
    void theReadmeListsTheDeclaredProperties() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        int begin = readme.indexOf(BEGIN);
        int end = readme.indexOf(END);
        assertTrue(begin >= 0 && end > begin, "README.adoc has the property table markers");
        String expected = table();
        String actual = readme.substring(begin + BEGIN.length(), end);
        if (!expected.equals(actual) && Boolean.getBoolean("readme.update")) {
            Files.writeString(README, readme.substring(0, begin + BEGIN.length()) + expected + readme.substring(end), StandardCharsets.UTF_8);
            return;
        }
        assertEquals(expected, actual, "README.adoc's property table differs from the declarations; run this test with -Dreadme.update=true");
    }
}
