package dev.bulkhead.shell.client;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs one shell command in the running platform:
 * {@code java -cp dev.bulkhead.shell.jar dev.bulkhead.shell.client.Client qvm:prefs work label}.
 * The first argument names the command and each further argument reaches it as it is: nothing in
 * them is parsed, so a qube name or value from anywhere is safe to pass. Only with {@code -c} is
 * one argument a command line in the shell's syntax. The command's output is copied to this
 * process's and its exit status becomes this process's. Plain JDK only, so that it runs outside
 * the framework.
 */
public final class Client {
    /** The data directory, as the launcher scripts pass it. */
    public static final String DATA_PROPERTY = "bulkhead.data";
    public static final String DATA_ENVIRONMENT = "BULKHEAD_DATA";

    /** The status when no command ran, as distinct from a command that failed (1). */
    public static final int NOT_RUN = 2;

    /** The one option, which must come first: its one argument is a command line, parsed by the shell. */
    public static final String LINE_OPTION = "-c";

    static final String USAGE = """
            usage: client COMMAND [ARGUMENT...]   e.g. client qvm:prefs work label
                   client -c 'COMMAND LINE'      e.g. client -c 'qvm:ls; qvm:prefs work'
            Each ARGUMENT reaches COMMAND exactly as given: ; | & < > $ { } quotes and newlines in it
            mean nothing, so it is safe to pass any qube name or value. With -c the one argument is
            parsed with the shell's whole syntax (sequences, pipes, redirections, $variables,
            closures): never build it from text you do not control.
            """;

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
        System.exit(client.run(ClientSocket.in(Path.of(data)), List.of(args)));
    }

    /** Runs what {@code args}, as given on the command line, ask for; returns the exit status. */
    public int run(Path socket, List<String> args) {
        if (args.isEmpty() || args.get(0).equals("-h") || args.get(0).equals("--help")) {
            (args.isEmpty() ? err : out).print(USAGE);
            return args.isEmpty() ? NOT_RUN : 0;
        }
        Frame request;
        try {
            request = request(args);
        } catch (IllegalArgumentException refused) {
            err.println("client: " + refused.getMessage());
            err.print(USAGE);
            return NOT_RUN;
        }
        return send(socket, request);
    }

    private static Frame request(List<String> args) {
        String first = args.get(0);
        if (first.equals(LINE_OPTION)) {
            if (args.size() != 2) {
                throw new IllegalArgumentException(LINE_OPTION + " takes exactly one argument, the command line; got " + (args.size() - 1));
            }
            return Frame.command(args.get(1));
        }
        // Reserved, so that options can be added without changing what a command name means.
        if (first.startsWith("-")) {
            throw new IllegalArgumentException("unknown option " + first);
        }
        return Frame.arguments(args);
    }

    private int send(Path socket, Frame request) {
        // notExists, not !exists: a socket that cannot be looked at (no permission) is reported by connect.
        if (Files.notExists(socket)) {
            err.println("bulkhead is not running (no " + socket + ")");
            return NOT_RUN;
        }
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            try {
                request.writeTo(channel);
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
