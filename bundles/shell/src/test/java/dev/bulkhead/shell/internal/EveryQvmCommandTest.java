package dev.bulkhead.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Every qvm command this bundle registers (as its component descriptors declare them, so that a new one is not
 * missed) answers {@code --help} with its usage and no failure, and {@code help qvm:NAME} says the same, with no Java
 * signature in it.
 */
class EveryQvmCommandTest {
    private static final Map<String, Object> COMMANDS = new LinkedHashMap<>();
    private static GogoShell shell;

    @BeforeAll
    static void registerEveryQvmCommand() throws Exception {
        shell = new GogoShell();
        try (Stream<Path> descriptors = Files.list(Path.of("target/classes/OSGI-INF"))) {
            for (Path xml : descriptors.sorted().toList()) {
                Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
                Map<String, List<String>> properties = new LinkedHashMap<>();
                NodeList nodes = d.getElementsByTagName("property");
                for (int i = 0; i < nodes.getLength(); i++) {
                    Element p = (Element) nodes.item(i);
                    String text = p.hasAttribute("value") ? p.getAttribute("value") : p.getTextContent();
                    properties.put(p.getAttribute("name"), Arrays.stream(text.split("\n")).map(String::strip).filter(s -> !s.isEmpty()).toList());
                }
                if (!List.of("qvm").equals(properties.get("osgi.command.scope"))) {
                    continue;
                }
                String implementation = ((Element) d.getElementsByTagName("implementation").item(0)).getAttribute("class");
                Object target = withNothing(Class.forName(implementation));
                for (String function : properties.get("osgi.command.function")) {
                    shell.qvm(target, function);
                    COMMANDS.put(function, target);
                }
            }
        }
    }

    /** The command object with no services: --help must not need any. */
    private static Object withNothing(Class<?> type) throws Exception {
        Constructor<?> c = type.getConstructors()[0];
        return c.newInstance(new Object[c.getParameterCount()]);
    }

    @AfterAll
    static void close() {
        shell.close();
    }

    @Test
    void theDescriptorsNameTheCommandsOfThisBundle() {
        assertTrue(COMMANDS.keySet().containsAll(List.of("ls", "create", "remove", "clone", "start", "shutdown", "kill", "pause", "unpause",
                "restart", "log", "roles", "prefs", "globalprefs", "features", "tags", "firewall", "run", "volume")), COMMANDS.keySet().toString());
    }

    @Test
    void everyQvmCommandPrintsItsUsageForHelp() {
        List<String> wrong = new ArrayList<>();
        for (String function : new TreeSet<>(COMMANDS.keySet())) {
            for (String help : List.of("--help", "-h")) {
                GogoShell.Result r = shell.run("qvm:" + function + " " + help);
                if (r.failure() != null || !r.out().startsWith("Usage: qvm:" + function)) {
                    wrong.add("qvm:" + function + " " + help + " -> " + r.failure() + " / " + r.out());
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void helpNameShowsTheDescriptionAndUsageWithoutAJavaSignature() {
        for (String function : COMMANDS.keySet()) {
            GogoShell.Result help = shell.run("help qvm:" + function);
            assertNull(help.failure(), function);
            assertEquals(shell.run("qvm:" + function + " --help").out(), help.out(), "help qvm:" + function + " is what --help prints");
            assertFalse(help.out().contains("String") || help.out().contains("parameters:"), help.out());
            String[] paragraphs = help.out().split("\n\n");
            assertTrue(paragraphs.length == 2 && !paragraphs[1].isBlank(), "usage, then what it does: " + help.out());
        }
        assertEquals(shell.run("help qvm:ls").out(), shell.run("help ls").out(), "a plain name is the qvm command's");
    }
}
