package dev.bulkhead.shell.internal.channel;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.concurrent.Executor;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.apache.felix.service.threadio.ThreadIO;

import dev.bulkhead.shell.client.Client;
import dev.bulkhead.shell.client.Frame;
import dev.bulkhead.shell.client.FrameType;
import dev.bulkhead.shell.client.ProtocolException;
import dev.bulkhead.shell.internal.ExitStatusException;
import dev.bulkhead.shell.internal.frontend.ShellCommands;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * One client: checks who it is, runs its one command in a fresh session, sends output and status.
 * A command with its arguments runs without the shell's parser ({@link ArgumentVectorCommand});
 * only a command line ({@code client -c}) is parsed.
 */
final class ClientConnection implements Runnable {
    private final SocketChannel peer;
    private final UserPrincipal platformUser;
    private final CommandProcessor commandProcessor;
    private final ArgumentVectorCommand argumentVectorCommand;
    private final Executor hangupWatchers;
    private final Logger log;
    private final FrameWriter writer;
    private final Object commandLock = new Object();
    private Thread commandThread;

    /** What runs in the session: a parsed command line or a command with its arguments. */
    private interface Command {
        Object run(CommandSession session, PrintStream stdout, PrintStream stderr) throws Exception;
    }

    ClientConnection(SocketChannel peer, UserPrincipal platformUser, CommandProcessor commandProcessor, ThreadIO threadIO,
            Executor hangupWatchers, Logger log) {
        this.peer = peer;
        this.platformUser = platformUser;
        this.commandProcessor = commandProcessor;
        this.argumentVectorCommand = new ArgumentVectorCommand(threadIO);
        this.hangupWatchers = hangupWatchers;
        this.log = log;
        this.writer = new FrameWriter(peer);
    }

    @Override
    public void run() {
        try (peer) {
            UnixDomainPrincipal credentials = peer.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (!credentials.user().equals(platformUser)) {
                refuse(credentials);
                return;
            }
            Command command;
            try {
                command = command(Frame.readFrom(peer));
            } catch (ProtocolException malformed) {
                refuseRequest(malformed.getMessage());
                return;
            }
            if (command != null) {
                writer.write(Frame.exit(execute(command)));
            }
        } catch (IOException e) {
            log.log(Level.DEBUG, "Client connection ended early: {0}", e.toString());
        }
    }

    /** The request's command; null if the client hung up without sending one. */
    private Command command(Frame request) throws ProtocolException {
        if (request == null) {
            return null;
        }
        return switch (request.type()) {
            case ARGUMENTS -> {
                List<String> argv = request.arguments();
                yield (session, stdout, stderr) -> argumentVectorCommand.run(session, argv, InputStream.nullInputStream(), stdout, stderr);
            }
            case COMMAND -> {
                String commandLine = request.text();
                yield (session, stdout, stderr) -> session.execute(commandLine);
            }
            default -> throw new ProtocolException("the client sent a " + request.type() + " frame where a command was expected");
        };
    }

    /** Answers a malformed request with what is wrong with it; nothing runs. */
    private void refuseRequest(String problem) throws IOException {
        log.log(Level.WARNING, "Refused a malformed client request: {0}", problem);
        writer.write(new Frame(FrameType.STDERR, ("bulkhead refused the request: " + problem + "\n").getBytes(StandardCharsets.UTF_8)));
        writer.write(Frame.exit(Client.NOT_RUN));
    }

    private void refuse(UnixDomainPrincipal credentials) throws IOException {
        log.log(Level.WARNING, "Refused a client running as {0}: only {1}, the platform''s user, may send commands",
                credentials.user().getName(), platformUser.getName());
        writer.write(new Frame(FrameType.STDERR, ("bulkhead accepts commands only from " + platformUser.getName() + "\n")
                .getBytes(StandardCharsets.UTF_8)));
        writer.write(Frame.exit(Client.NOT_RUN));
    }

    private int execute(Command command) {
        PrintStream stdout = new PrintStream(new FrameOutputStream(writer, FrameType.STDOUT), true, StandardCharsets.UTF_8);
        PrintStream stderr = new PrintStream(new FrameOutputStream(writer, FrameType.STDERR), true, StandardCharsets.UTF_8);
        CommandSession session = commandProcessor.createSession(InputStream.nullInputStream(), stdout, stderr);
        // plain names as the interactive shell resolves them: 'start work' is qvm:start
        session.put("SCOPE", ShellCommands.SCOPE_PATH);
        try {
            synchronized (commandLock) {
                commandThread = Thread.currentThread();
            }
            hangupWatchers.execute(this::cancelOnHangup);
            Object result = command.run(session, stdout, stderr);
            if (result != null) {
                stdout.println(session.format(result, Converter.INSPECT));
            }
            return 0;
        } catch (Exception e) {
            return report(e, stderr);
        } finally {
            synchronized (commandLock) {
                commandThread = null;
                // An interrupt meant for this command must not outlive it on a pooled thread.
                Thread.interrupted();
            }
            session.close();
        }
    }

    /** Prints what went wrong as one line, as a shell would, and picks the exit status. */
    static int report(Exception failure, PrintStream stderr) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ExitStatusException exit) {
                String message = exit.getMessage();
                if (message != null && !message.isEmpty()) {
                    stderr.println(message);
                }
                return exit.status();
            }
        }
        String message = failure.getMessage();
        stderr.println(message == null || message.isBlank() ? failure.getClass().getName() : message);
        return 1;
    }

    /**
     * The client keeps its side open until the exit status; if it goes away first (the user pressed
     * Ctrl-C), the command is interrupted rather than left running for nobody.
     */
    private void cancelOnHangup() {
        ByteBuffer ignored = ByteBuffer.allocate(256);
        try {
            while (peer.read(ignored) >= 0) {
                ignored.clear();
            }
        } catch (IOException closed) {
            // Closed by run() once the command is done, or reset by the client: the check below tells.
        }
        synchronized (commandLock) {
            if (commandThread != null) {
                log.log(Level.DEBUG, "Client hung up; interrupting its command");
                commandThread.interrupt();
            }
        }
    }
}
