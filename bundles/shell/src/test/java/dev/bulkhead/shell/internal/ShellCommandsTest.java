package dev.bulkhead.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.felix.service.command.Descriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Plain names reach the qvm commands first; unknown names, Qubes' among them, get one line saying what to use. */
class ShellCommandsTest {
    /** Felix's bundle commands, as gogo.command has them. */
    public static final class Felix {
        public void start(String location) {
            System.out.println("felix started " + location);
        }

        public void lb() {
            System.out.println("bundles");
        }
    }

    public static final class Qvm {
        @Descriptor("Start qubes. Usage: qvm:start NAME...")
        public void start(String... names) {
            System.out.println("qvm started " + String.join(" ", names));
        }

        @Descriptor("List qubes. Usage: qvm:ls [NAME...]")
        public void ls(String... names) {
        }

        @Descriptor("Global properties. Usage: qvm:globalprefs [PROP [VALUE]]")
        public void globalprefs(String... args) {
        }
    }

    private final GogoShell shell = new GogoShell().other("felix", new Felix(), "start", "lb").qvm(new Qvm(), "start", "ls", "globalprefs");

    @AfterEach
    void close() {
        shell.close();
    }

    @Test
    void aPlainNameIsTheQvmCommandAndOtherScopesStillResolve() {
        assertEquals("qvm started work\n", shell.run("start work").out());
        assertEquals("felix started work\n", shell.run("felix:start work").out());
        assertEquals("bundles\n", shell.run("lb").out());
    }

    @Test
    void qubesToolNamesSuggestTheirQvmCommand() {
        assertEquals("qvm-ls: use qvm:ls", shell.run("qvm-ls --running").failure().toString());
        assertEquals("qubes-prefs: use qvm:globalprefs", shell.run("qubes-prefs").failure().toString());
        assertEquals("qvm-nosuch: no such command; Bulkhead's are qvm:NAME (help lists them)", shell.run("qvm-nosuch").failure().toString());
        assertEquals("nosuch: command not found (help lists the commands)", shell.run("nosuch").failure().toString());
    }

    @Test
    void helpListsTheQvmCommandsWithWhatTheyDoAndTheOthersByScope() {
        GogoShell.Result r = shell.run("help");
        assertNull(r.failure());
        assertTrue(r.out().matches("(?s).*\n  qvm:ls +List qubes\\.\n.*"), r.out());
        assertTrue(r.out().contains("\n  felix: lb start\n"), r.out());
        assertEquals("help: nosuch: command not found (help lists the commands)", shell.run("help nosuch").failure().toString());
    }
}
