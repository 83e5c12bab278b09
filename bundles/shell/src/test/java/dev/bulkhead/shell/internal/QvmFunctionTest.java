package dev.bulkhead.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.felix.service.command.Descriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.bulkhead.api.NoSuchQubeException;
import dev.bulkhead.shell.internal.frontend.CommandFailedException;

/** A qvm command's front: what a failure looks like, which exit status it carries, and when --help is help. */
class QvmFunctionTest {
    /** Commands that fail the ways real ones do. */
    public static final class Commands {
        @Descriptor("Start qubes. Usage: qvm:start NAME...")
        public void start(String... names) {
            throw new NoSuchQubeException(names[0]);
        }

        @Descriptor("Run something. Usage: qvm:run NAME COMMAND...")
        public void run(String... words) {
            System.out.println(String.join(" ", words));
            if (words.length > 1 && words[1].equals("false")) {
                throw new ExitStatusException(3, "");
            }
        }

        @Descriptor("Clone a qube. Usage: qvm:clone SOURCE TARGET")
        public void clone(String source, String target) {
        }

        @Descriptor("Fails without saying why. Usage: qvm:quiet")
        public void quiet() {
            throw new IllegalStateException();
        }
    }

    private final GogoShell shell = new GogoShell().qvm(new Commands(), "start", "run", "clone", "quiet");

    @AfterEach
    void close() {
        shell.close();
    }

    @Test
    void aFailureIsOnePlainLineNamingTheCommand() {
        Exception e = shell.run("qvm:start nosuch").failure();
        assertInstanceOf(CommandFailedException.class, e);
        assertEquals("qvm:start: no such qube: 'nosuch'", e.toString(), "what the interactive shell prints");
        assertEquals("qvm:start: no such qube: 'nosuch'", e.getMessage(), "what bin/client prints");
        assertInstanceOf(NoSuchQubeException.class, e.getCause(), "the failure itself is kept");
    }

    @Test
    void anExitStatusIsKeptAndShownWithTheCommand() {
        GogoShell.Result r = shell.run("qvm:run work false");
        ExitStatusException e = assertInstanceOf(ExitStatusException.class, r.failure());
        assertEquals(3, e.status());
        assertEquals("", e.getMessage(), "bin/client prints nothing more than the command did");
        assertEquals("qvm:run: exit status 3", e.toString());
        assertEquals("work false\n", r.out());
    }

    @Test
    void wrongArgumentsAreTheUsage() {
        assertEquals("qvm:clone: wrong arguments; usage: qvm:clone SOURCE TARGET", shell.run("qvm:clone work").failure().toString());
    }

    @Test
    void aFailureWithoutAMessageSaysWhereToLook() {
        assertEquals("qvm:quiet: failed (IllegalStateException); see data/log/bulkhead.log", shell.run("qvm:quiet").failure().toString());
    }

    @Test
    void helpAfterTheOperandsIsTheCommandsOwnWord() {
        GogoShell.Result asked = shell.run("qvm:run --help");
        assertNull(asked.failure());
        assertEquals("Usage: qvm:run NAME COMMAND...\n\nRun something.\n", asked.out());

        GogoShell.Result passed = shell.run("qvm:run work ls --help");
        assertNull(passed.failure());
        assertEquals("work ls --help\n", passed.out());
        assertEquals("-- --help\n", shell.run("qvm:run -- --help").out(), "after -- it is the command's too");
    }
}
