package dev.bulkhead.shell.client;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs one shell command in the running platform:
 * {@code java -cp dev.bulkhead.shell.jar dev.bulkhead.shell.client.Client 'qvm:ls'}.
 * The arguments are joined into one command line; the command's output is copied to this
 * process's and its exit status becomes this process's. Plain JDK only, so that it runs outside
 * the framework.
 */
public final class Client {
    /** The data directory, as the launcher scripts pass it. */
    public static final String DATA_PROPERTY = "bulkhead.data";
    public static final String DATA_ENVIRONMENT = "BULKHEAD_DATA";

    /** The status when no command ran, as distinct from a command that failed (1). */
    public static final int NOT_RUN = 2;

    private final PrintStream out;
    private final PrintStream err;

    public Client(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        String data = System.getProperty(DATA_PROPERTY, System.getenv(DATA_ENVIRONMENT));
        Client client = new Client(System.out, System.err);
        if (data == null || data.isEmpty()) {
            client.err.println("set -D" + DATA_PROPERTY + " or " + DATA_ENVIRONMENT + " to the platform's data directory");
            System.exit(NOT_RUN);
        }
        if (args.length == 0) {
            client.err.println("usage: client '<command line>'   e.g. client 'qvm:ls'");
            System.exit(NOT_RUN);
        }
        System.exit(client.run(ClientSocket.in(Path.of(data)), String.join(" ", args)));
    }

    public int run(Path socket, String commandLine) {
        Frame command;
        try {
            command = Frame.command(commandLine);
        } catch (IllegalArgumentException tooLong) {
            err.println("command line too long: " + tooLong.getMessage());
            return NOT_RUN;
        }
        // notExists, not !exists: a socket that cannot be looked at (no permission) is reported by connect.
        if (Files.notExists(socket)) {
            err.println("bulkhead is not running (no " + socket + ")");
            return NOT_RUN;
        }
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            try {
                command.writeTo(channel);
            } catch (IOException closedEarly) {
                // The platform refuses some clients before reading their command; its answer says why.
            }
            return copyOutput(channel);
        } catch (ConnectException e) {
            err.println("bulkhead is not running (" + socket + " refuses connections)");
            return NOT_RUN;
        } catch (IOException e) {
            err.println("bulkhead at " + socket + ": " + e.getMessage());
            return NOT_RUN;
        }
    }

    private int copyOutput(SocketChannel channel) throws IOException {
        for (Frame frame = Frame.readFrom(channel); frame != null; frame = Frame.readFrom(channel)) {
            switch (frame.type()) {
                case STDOUT -> copy(frame, out);
                case STDERR -> copy(frame, err);
                case EXIT -> {
                    return frame.exitStatus();
                }
                default -> throw new ProtocolException("the platform sent a " + frame.type() + " frame");
            }
        }
        err.println("bulkhead closed the connection before the command finished");
        return NOT_RUN;
    }

    private static void copy(Frame frame, PrintStream target) {
        target.write(frame.payload(), 0, frame.payload().length);
        target.flush();
    }
}
