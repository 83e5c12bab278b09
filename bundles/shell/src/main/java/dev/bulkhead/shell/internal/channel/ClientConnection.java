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
import java.util.concurrent.Executor;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;

import dev.bulkhead.shell.client.Client;
import dev.bulkhead.shell.client.Frame;
import dev.bulkhead.shell.client.FrameType;
import dev.bulkhead.shell.internal.ExitStatusException;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/** One client: checks who it is, runs its one command in a fresh session, sends output and status. */
final class ClientConnection implements Runnable {
    private final SocketChannel peer;
    private final UserPrincipal platformUser;
    private final CommandProcessor commandProcessor;
    private final Executor hangupWatchers;
    private final Logger log;
    private final FrameWriter writer;
    private final Object commandLock = new Object();
    private Thread commandThread;

    ClientConnection(SocketChannel peer, UserPrincipal platformUser, CommandProcessor commandProcessor,
            Executor hangupWatchers, Logger log) {
        this.peer = peer;
        this.platformUser = platformUser;
        this.commandProcessor = commandProcessor;
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
            Frame request = Frame.readFrom(peer);
            if (request == null) {
                return;
            }
            if (request.type() != FrameType.COMMAND) {
                log.log(Level.WARNING, "Client sent a {0} frame where a command was expected; closed it", request.type());
                return;
            }
            int status = execute(request.text());
            writer.write(Frame.exit(status));
        } catch (IOException e) {
            log.log(Level.DEBUG, "Client connection ended early: {0}", e.toString());
        }
    }

    private void refuse(UnixDomainPrincipal credentials) throws IOException {
        log.log(Level.WARNING, "Refused a client running as {0}: only {1}, the platform''s user, may send commands",
                credentials.user().getName(), platformUser.getName());
        writer.write(new Frame(FrameType.STDERR, ("bulkhead accepts commands only from " + platformUser.getName() + "\n")
                .getBytes(StandardCharsets.UTF_8)));
        writer.write(Frame.exit(Client.NOT_RUN));
    }

    private int execute(String commandLine) {
        PrintStream stdout = new PrintStream(new FrameOutputStream(writer, FrameType.STDOUT), true, StandardCharsets.UTF_8);
        PrintStream stderr = new PrintStream(new FrameOutputStream(writer, FrameType.STDERR), true, StandardCharsets.UTF_8);
        CommandSession session = commandProcessor.createSession(InputStream.nullInputStream(), stdout, stderr);
        try {
            synchronized (commandLock) {
                commandThread = Thread.currentThread();
            }
            hangupWatchers.execute(this::cancelOnHangup);
            Object result = session.execute(commandLine);
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
