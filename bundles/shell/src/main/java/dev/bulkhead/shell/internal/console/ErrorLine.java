package dev.bulkhead.shell.internal.console;

import dev.bulkhead.api.command.CommandLine;
import dev.bulkhead.shell.internal.ExitStatusException;
import dev.bulkhead.shell.internal.frontend.CommandFailedException;

/**
 * What the interactive shell prints for a command that failed: one plain line, never an exception class. The qvm
 * commands' failures already say which command failed ({@code qvm:start: no such qube: 'x'}); others give their
 * message.
 */
final class ErrorLine {
    private ErrorLine() {
    }

    static String of(Throwable failure) {
        if (failure instanceof CommandFailedException || failure instanceof ExitStatusException) {
            return CommandLine.printable(failure.toString());
        }
        if (failure instanceof InterruptedException) {
            return "interrupted";
        }
        String message = failure.getMessage();
        if (message == null || message.isBlank()) {
            return "failed (" + failure.getClass().getSimpleName() + "); see data/log/bulkhead.log";
        }
        return CommandLine.printable(message.lines().findFirst().orElse(message).strip());
    }
}
