package dev.bulkhead.bench.internal;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;

import dev.bulkhead.api.AdminException;

/**
 * An API token for the bench's requests to the console, made as root makes one
 * ({@code qvm:console token create}) and revoked when closed: the console takes only revocable
 * tokens as {@code Authorization: Bearer}, never its login secret. It also expires within the hour,
 * in case the instance dies before the revocation.
 */
final class ConsoleToken implements AutoCloseable {
    private static final Pattern CREATED = Pattern.compile("(?m)^API token ([0-9a-f]{8}) .*\\R(bht_[A-Za-z0-9_-]{43})$");
    private static final long COMMAND_TIMEOUT_SECONDS = 60;

    private final CommandProcessor shell;
    private final String id;
    private final String secret;

    private ConsoleToken(CommandProcessor shell, String id, String secret) {
        this.shell = shell;
        this.id = id;
        this.secret = secret;
    }

    static ConsoleToken create(CommandProcessor shell) {
        String out = run(shell, "qvm:console token create --name bench --expires 1h");
        Matcher m = CREATED.matcher(out);
        if (!m.find()) {
            throw new AdminException("qvm:console token create printed no token id and token: " + out);
        }
        return new ConsoleToken(shell, m.group(1), m.group(2));
    }

    /** The value for {@code Authorization: Bearer}. */
    String secret() {
        return secret;
    }

    @Override
    public void close() {
        run(shell, "qvm:console token revoke " + id);
    }

    /**
     * Runs one command in a session of its own, on a thread of its own: the shell routes
     * {@code System.out} per thread, and the bench's own goes to its caller.
     */
    private static String run(CommandProcessor shell, String command) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        Throwable[] failure = new Throwable[1];
        Thread runner = new Thread(() -> {
            PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
            try (CommandSession session = shell.createSession(InputStream.nullInputStream(), out, out)) {
                session.execute(command);
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "bench-console-token");
        runner.start();
        try {
            runner.join(TimeUnit.SECONDS.toMillis(COMMAND_TIMEOUT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(command + " was interrupted");
        }
        if (runner.isAlive()) {
            runner.interrupt();
            throw new AdminException(command + " did not finish within " + COMMAND_TIMEOUT_SECONDS + " s");
        }
        String text = buffer.toString(StandardCharsets.UTF_8);
        if (failure[0] != null) {
            throw new AdminException(command + " failed: " + failure[0] + (text.isBlank() ? "" : "; it printed: " + text.strip()));
        }
        return text;
    }
}
