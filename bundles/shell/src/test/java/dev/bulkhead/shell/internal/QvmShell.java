package dev.bulkhead.shell.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;

import dev.bulkhead.api.QubeAdmin;

/**
 * The real Gogo runtime with the {@code qvm:*} commands of this bundle on a given {@link QubeAdmin}:
 * a command line in, what it printed on each stream and its exit status out, as {@code bin/client}
 * would report them.
 */
final class QvmShell implements AutoCloseable {
    private final ThreadIOImpl threadIO = new ThreadIOImpl();
    private final CommandProcessorImpl processor;

    /** What a command printed, and the status {@code bin/client} would exit with. */
    record Result(String out, String err, int status) {
    }

    QvmShell(QubeAdmin admin) {
        threadIO.start();
        processor = new CommandProcessorImpl(threadIO);
        QvmCommands commands = new QvmCommands(admin);
        for (String function : new String[] {"start", "shutdown", "kill", "pause", "unpause", "restart", "remove", "create"}) {
            processor.addCommand("qvm", commands, function);
        }
        processor.addCommand("qvm", new QvmLsCommand(admin), "ls");
        processor.addCommand("qvm", new QvmFirewallCommand(admin), "firewall");
    }

    Result run(String commandLine) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = 0;
        try (PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
                CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), outStream, errStream)) {
            try {
                session.execute(commandLine);
            } catch (ExitStatusException e) {
                errStream.print(e.getMessage().isEmpty() ? "" : e.getMessage() + "\n");
                status = e.status();
            } catch (Exception e) {
                // as the client channel reports it: the message on one line, status 1
                errStream.println(e.getMessage());
                status = 1;
            }
            session.getConsole().flush();
        }
        return new Result(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), status);
    }

    @Override
    public void close() {
        processor.stop();
        threadIO.stop();
    }
}
