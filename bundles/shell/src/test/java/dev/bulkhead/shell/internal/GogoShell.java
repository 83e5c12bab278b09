package dev.bulkhead.shell.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;

import dev.bulkhead.shell.internal.frontend.QvmFunction;
import dev.bulkhead.shell.internal.frontend.ShellCommands;

/**
 * The real Gogo runtime with the shell's own commands and qvm commands behind their {@link QvmFunction} front, as the
 * platform registers them; each line runs in a fresh session with the shell's SCOPE.
 */
public final class GogoShell implements AutoCloseable {
    private final ThreadIOImpl threadIO = new ThreadIOImpl();
    private final CommandProcessorImpl processor;

    /** What a line printed, and what it threw (null if nothing). */
    public record Result(String out, String err, Exception failure) {
    }

    public GogoShell() {
        threadIO.start();
        processor = new CommandProcessorImpl(threadIO);
        ShellCommands shell = new ShellCommands(null);
        for (String f : new String[] { "help", "default" }) {
            processor.addCommand("shell", shell, f);
        }
    }

    /** Registers {@code target}'s functions as qvm commands, each behind its front. */
    public GogoShell qvm(Object target, String... functions) {
        for (String f : functions) {
            processor.addCommand("qvm", new QvmFunction("qvm", f, target), f);
        }
        return this;
    }

    /** Registers functions of another scope as they are, as Felix's own commands are. */
    public GogoShell other(String scope, Object target, String... functions) {
        for (String f : functions) {
            processor.addCommand(scope, target, f);
        }
        return this;
    }

    public Result run(String line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Exception failure = null;
        try (CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))) {
            session.put("SCOPE", ShellCommands.SCOPE_PATH);
            try {
                session.execute(line);
            } catch (Exception e) {
                failure = e;
            }
        }
        return new Result(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), failure);
    }

    @Override
    public void close() {
        processor.stop();
        threadIO.stop();
    }
}
