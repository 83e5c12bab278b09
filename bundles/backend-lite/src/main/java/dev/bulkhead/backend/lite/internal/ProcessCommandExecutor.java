package dev.bulkhead.backend.lite.internal;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.bulkhead.api.AdminException;

/** Runs host commands as child processes of the JVM. */
final class ProcessCommandExecutor implements CommandExecutor {
    private static final File NULL_DEVICE = new File("/dev/null");
    /**
     * How long to wait for output after a kill: a process that escaped the kill (reparented elsewhere) may
     * hold the pipes open forever, and what was read so far is still worth returning.
     */
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(1);
    /** How long a killed command's parent gets to reap its killed children and exit by itself. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(1);

    @Override
    public CommandResult run(Command command) {
        long deadline = System.nanoTime() + command.timeout().toNanos();
        ProcessBuilder builder = new ProcessBuilder(command.argv());
        // A detached child (runc run -d) inherits stdin: give it /dev/null rather than a pipe to the JVM.
        builder.redirectInput(command.stdin().length == 0 ? Redirect.from(NULL_DEVICE) : Redirect.PIPE);
        if (command.output() != null) {
            builder.redirectOutput(Redirect.appendTo(command.output().toFile()));
            builder.redirectErrorStream(true);
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new AdminException("cannot run '" + command.display() + "': " + e.getMessage(), e);
        }
        OutputCollector stdout = command.output() == null ? OutputCollector.start(process.getInputStream()) : null;
        OutputCollector stderr = command.output() == null ? OutputCollector.start(process.getErrorStream()) : null;
        if (command.stdin().length > 0) {
            feed(process.getOutputStream(), command.stdin());
        }
        boolean timedOut = false;
        boolean interrupted = false;
        while (true) {
            try {
                if (!process.waitFor(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                    timedOut = true;
                    killTree(process);
                    process.waitFor();
                }
                break;
            } catch (InterruptedException e) {
                if (command.cancellable()) {
                    killTree(process);
                    Thread.currentThread().interrupt();
                    throw new AdminException("interrupted while running '" + command.display() + "'", e);
                }
                // a host change cut off halfway leaves the host half-changed: it runs to its end or timeout
                interrupted = true;
            }
        }
        long outputDeadline = timedOut ? System.nanoTime() + OUTPUT_GRACE.toNanos()
                : Math.max(deadline, System.nanoTime() + OUTPUT_GRACE.toNanos());
        CommandResult result = new CommandResult(process.exitValue(), collected(stdout, outputDeadline),
                collected(stderr, outputDeadline), timedOut);
        if (interrupted) {
            // only now: with the flag up, collecting the output would stop short
            Thread.currentThread().interrupt();
        }
        return result;
    }

    /**
     * Kills the process and everything it started that is still its descendant (e.g. the command under runc
     * exec). The descendants go first so that the process can reap them and end by itself: killed first, it
     * would leave them to the host's init, and a zombie inside a container keeps the container's init from
     * exiting until that init gets around to reaping it.
     */
    private static void killTree(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        try {
            if (process.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroyForcibly();
    }

    private static void feed(OutputStream stdin, byte[] input) {
        Thread writer = new Thread(() -> {
            try (stdin) {
                stdin.write(input);
            } catch (IOException e) {
                // The command closed its stdin or exited without reading everything: that is its choice.
            }
        }, "bulkhead-lite-stdin");
        writer.setDaemon(true);
        writer.start();
    }

    private static byte[] collected(OutputCollector collector, long deadline) {
        return collector == null ? new byte[0] : collector.await(deadline);
    }

    /** Drains one output stream on its own thread so that a chatty command never blocks on a full pipe. */
    private static final class OutputCollector {
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private final Thread thread;

        private OutputCollector(InputStream in) {
            thread = new Thread(() -> drain(in), "bulkhead-lite-output");
            thread.setDaemon(true);
        }

        static OutputCollector start(InputStream in) {
            OutputCollector collector = new OutputCollector(in);
            collector.thread.start();
            return collector;
        }

        private void drain(InputStream in) {
            byte[] chunk = new byte[8192];
            try (in) {
                for (int n; (n = in.read(chunk)) >= 0;) {
                    synchronized (buffer) {
                        buffer.write(chunk, 0, n);
                    }
                }
            } catch (IOException e) {
                // The stream was closed under us: keep what arrived.
            }
        }

        /** Waits for end of stream until the deadline, then returns what arrived. */
        byte[] await(long deadline) {
            try {
                long remaining = deadline - System.nanoTime();
                if (remaining > 0) {
                    thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining)));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (buffer) {
                return buffer.toByteArray();
            }
        }
    }
}
