package dev.bulkhead.shell.internal.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.NoSuchQubeException;
import dev.bulkhead.shell.internal.ExitStatusException;
import dev.bulkhead.shell.internal.frontend.CommandFailedException;

/** The one line the interactive shell prints for a failure never names an exception class. */
class ErrorLineTest {
    @Test
    void aCommandsFailureIsItsLine() {
        assertEquals("qvm:start: no such qube: 'x'", ErrorLine.of(new CommandFailedException("qvm:start", "no such qube: 'x'", null)));
        assertEquals("qvm:run: exit status 2", ErrorLine.of(new ExitStatusException(2, "", "qvm:run")));
    }

    @Test
    void otherFailuresGiveTheirMessageAloneOnOneLine() {
        assertEquals("no such qube: 'x'", ErrorLine.of(new NoSuchQubeException("x")));
        assertEquals("first line", ErrorLine.of(new IllegalArgumentException("first line\n\tat somewhere")));
        assertEquals("a?b", ErrorLine.of(new IllegalArgumentException("a\u001bb")), "no control characters reach the terminal");
        assertEquals("interrupted", ErrorLine.of(new InterruptedException()));
        assertEquals("failed (NullPointerException); see data/log/bulkhead.log", ErrorLine.of(new NullPointerException()));
    }
}
