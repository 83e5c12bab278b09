package dev.bulkhead.api.host;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.bulkhead.api.AdminException;

/** Runs host commands as child processes of the JVM. Holds no state: one instance serves every caller. */
public final class ProcessHostCommands implements HostCommands {
    private static final File NULL_DEVICE = new File("/dev/null");
    /**
     * How long to wait for output after a kill: a process that escaped the kill (reparented elsewhere) may
     * hold the pipes open forever, and what was read so far is still worth returning.
     */
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(1);
    /** How long a killed command's parent gets to reap its killed children and exit by itself. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(1);

    @Override
    public HostCommandResult run(HostCommand command) {
        long deadline = System.nanoTime() + command.timeout().toNanos();
        Running running = Running.start(command);
        boolean timedOut = false;
        boolean interrupted = false;
        while (true) {
            try {
                if (!running.process.waitFor(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                    timedOut = true;
                    running.killTree();
                }
                break;
            } catch (InterruptedException e) {
                if (command.cancellable()) {
                    running.killTree();
                    Thread.currentThread().interrupt();
                    throw new AdminException("interrupted while running '" + command.display() + "'", e);
                }
                // a host change cut off halfway leaves the host half-changed: it runs to its end or timeout
                interrupted = true;
            }
        }
        long outputDeadline = timedOut ? System.nanoTime() + OUTPUT_GRACE.toNanos()
                : Math.max(deadline, System.nanoTime() + OUTPUT_GRACE.toNanos());
        HostCommandResult result = running.result(timedOut, outputDeadline);
        if (interrupted) {
            // only now: with the flag up, collecting the output would stop short
            Thread.currentThread().interrupt();
        }
        return result;
    }

    @Override
    public Started start(HostCommand command) {
        return Running.start(command);
    }

    @Override
    public Streaming stream(HostCommand command) {
        if (command.output() != null) {
            throw new IllegalArgumentException("a streamed command's output is read as lines, not sent to " + command.output()
                    + ": '" + command.display() + "'");
        }
        Streamed streamed = new Streamed(command, Running.launch(command));
        streamed.feedStdin();
        return streamed;
    }

    @Override
    public Piped pipe(HostCommand command) {
        if (command.output() != null) {
            throw new IllegalArgumentException("a piped command's output is read by its caller, not sent to " + command.output()
                    + ": '" + command.display() + "'");
        }
        PipedProgram piped = new PipedProgram(command, Running.launch(command.withStdinHeldOpen()));
        if (command.stdin().length > 0) {
            Running.feedOpen(piped.process.getOutputStream(), command.stdin());
        }
        return piped;
    }

    /** One started program with the threads that drain its output. */
    private static class Running implements Started {
        final HostCommand command;
        final Process process;
        private final OutputCollector stdout;
        private final OutputCollector stderr;
        /** The program's stdin while it is held open for the caller; null once closed, or when never held. */
        private OutputStream heldStdin;

        Running(HostCommand command, Process process, boolean linesRead) {
            this(command, process, linesRead, true);
        }

        Running(HostCommand command, Process process, boolean linesRead, boolean stderrKept) {
            this.command = command;
            this.process = process;
            boolean captured = command.output() == null;
            this.stdout = captured && !linesRead ? OutputCollector.start(process.getInputStream(), command.outputCap()) : null;
            this.stderr = captured && stderrKept ? OutputCollector.start(process.getErrorStream(), command.outputCap()) : null;
        }

        static Running start(HostCommand command) {
            Running running = new Running(command, launch(command), false);
            running.feedStdin();
            return running;
        }

        /** The one place a host program is started. */
        static Process launch(HostCommand command) {
            ProcessBuilder builder = new ProcessBuilder(command.argv());
            // A detached child (runc run -d) inherits stdin: give it /dev/null rather than a pipe to the JVM.
            builder.redirectInput(command.stdin().length == 0 && !command.stdinHeldOpen() ? Redirect.from(NULL_DEVICE) : Redirect.PIPE);
            if (command.output() != null) {
                builder.redirectOutput(Redirect.appendTo(command.output().toFile()));
                builder.redirectErrorStream(true);
            }
            if (command.directory() != null) {
                builder.directory(command.directory().toFile());
            }
            builder.environment().putAll(command.environment());
            try {
                return builder.start();
            } catch (IOException e) {
                throw new AdminException("cannot run '" + command.display() + "': " + e.getMessage(), e);
            }
        }

        void feedStdin() {
            if (command.stdinHeldOpen()) {
                hold();
            } else if (command.stdin().length > 0) {
                feed(process.getOutputStream(), command.stdin());
            }
        }

        @Override
        public long pid() {
            return process.pid();
        }

        @Override
        public boolean isAlive() {
            return process.isAlive();
        }

        @Override
        public HostCommandResult await() {
            boolean timedOut = false;
            try {
                if (!process.waitFor(command.timeout().toNanos(), TimeUnit.NANOSECONDS)) {
                    timedOut = true;
                    killTree();
                }
            } catch (InterruptedException e) {
                killTree();
                Thread.currentThread().interrupt();
                throw new AdminException("interrupted while waiting for '" + command.display() + "'", e);
            }
            return result(timedOut, System.nanoTime() + OUTPUT_GRACE.toNanos());
        }

        @Override
        public CompletableFuture<HostCommandResult> onExit() {
            // off the JVM's reaper thread: collecting the output may wait a little
            return process.onExit().thenApplyAsync(p -> result(false, System.nanoTime() + OUTPUT_GRACE.toNanos()));
        }

        @Override
        public HostCommandResult stop() {
            killTree();
            return result(false, System.nanoTime() + OUTPUT_GRACE.toNanos());
        }

        HostCommandResult result(boolean timedOut, long outputDeadline) {
            return new HostCommandResult(process.exitValue(), collected(stdout, outputDeadline),
                    collected(stderr, outputDeadline), timedOut, stdoutTruncated(), stderr != null && stderr.truncated());
        }

        boolean stdoutTruncated() {
            return stdout != null && stdout.truncated();
        }

        /**
         * Kills the process and everything it started that is still its descendant (e.g. the command under
         * runc exec), and waits until the process is gone. The descendants go first so that the process can
         * reap them and end by itself: killed first, it would leave them to the host's init, and a zombie
         * inside a container keeps the container's init from exiting until that init gets around to reaping it.
         */
        void killTree() {
            List<ProcessHandle> descendants = process.descendants().toList();
            descendants.forEach(ProcessHandle::destroyForcibly);
            boolean interrupted = false;
            try {
                try {
                    // with no descendants there is nothing to reap: no grace
                    if (!descendants.isEmpty() && process.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                // descendants started during the grace would be orphaned by the kill below: take them too
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                while (true) {
                    try {
                        process.waitFor();
                        return;
                    } catch (InterruptedException e) {
                        // SIGKILL cannot be refused: the wait is short, and the caller needs the exit status
                        interrupted = true;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private static void feed(OutputStream stdin, byte[] input) {
            Thread writer = new Thread(() -> {
                try (stdin) {
                    stdin.write(input);
                } catch (IOException e) {
                    // The command closed its stdin or exited without reading everything: that is its choice.
                }
            }, "bulkhead-host-stdin");
            writer.setDaemon(true);
            writer.start();
        }

        /** Writes the input from a thread of its own and leaves the pipe open for the caller. */
        static void feedOpen(OutputStream stdin, byte[] input) {
            Thread writer = new Thread(() -> {
                try {
                    synchronized (stdin) {
                        stdin.write(input);
                        stdin.flush();
                    }
                } catch (IOException e) {
                    // The command closed its stdin or exited without reading everything: that is its choice.
                }
            }, "bulkhead-host-stdin");
            writer.setDaemon(true);
            writer.start();
        }

        /** Writes the input and keeps the pipe open until the program ends, then closes the platform's end. */
        private void hold() {
            synchronized (this) {
                heldStdin = process.getOutputStream();
                try {
                    heldStdin.write(command.stdin());
                    heldStdin.flush();
                } catch (IOException e) {
                    // The command closed its stdin or exited already: that is its choice.
                }
            }
            process.onExit().thenRun(this::closeStdin);
        }

        /** Writes to the held stdin at once. */
        synchronized void write(byte[] bytes) {
            if (heldStdin == null) {
                throw new IllegalStateException(command.stdinHeldOpen() ? "the stdin of '" + command.display() + "' is closed"
                        : "'" + command.display() + "' does not hold its stdin open for writing");
            }
            try {
                heldStdin.write(bytes);
                heldStdin.flush();
            } catch (IOException e) {
                throw new AdminException("'" + command.display() + "' does not read its stdin any more: " + e.getMessage(), e);
            }
        }

        synchronized void closeStdin() {
            if (heldStdin != null) {
                try {
                    heldStdin.close();
                } catch (IOException e) {
                    // the program is gone: nothing reads the pipe any more
                }
                heldStdin = null;
            }
        }

        private static byte[] collected(OutputCollector collector, long deadline) {
            return collector == null ? new byte[0] : collector.await(deadline);
        }
    }

    /** A started program whose stdout is read as lines and whose held stdin the caller writes to. */
    private static final class Streamed extends Running implements Streaming {
        private final LineQueue lines;

        Streamed(HostCommand command, Process process) {
            super(command, process, true);
            lines = LineQueue.start(process.getInputStream(), MAX_LINE_BYTES, MAX_WAITING_BYTES, command.outputCap());
        }

        @Override
        public Optional<String> nextLine(Duration timeout) {
            return lines.take(timeout);
        }

        @Override
        public boolean outputEnded() {
            return lines.ended();
        }

        @Override
        public void write(String text) {
            write(text.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void closeStdin() {
            super.closeStdin();
        }

        @Override
        public boolean waitFor(Duration timeout) {
            try {
                return process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !process.isAlive();
            }
        }

        /** Killed, the program writes no more lines: the readers stop waiting once what it wrote is in. */
        @Override
        void killTree() {
            super.killTree();
            lines.finish(System.nanoTime() + OUTPUT_GRACE.toNanos());
        }

        @Override
        boolean stdoutTruncated() {
            return lines.truncated();
        }
    }

    /** A started program whose three streams its caller reads and writes. */
    private static final class PipedProgram extends Running implements Piped {
        PipedProgram(HostCommand command, Process process) {
            super(command, process, true, false);
        }

        @Override
        public OutputStream stdin() {
            return process.getOutputStream();
        }

        @Override
        public InputStream stdout() {
            return process.getInputStream();
        }

        @Override
        public InputStream stderr() {
            return process.getErrorStream();
        }
    }

    /**
     * Waits until the thread that drains a stream has ended or the deadline ({@link System#nanoTime()}) has
     * passed. An interrupt ends the wait and is kept for the caller: what was drained so far is still worth having.
     */
    static void joinUntil(Thread thread, long deadline) {
        try {
            long remaining = deadline - System.nanoTime();
            if (remaining > 0) {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Drains one output stream on its own thread so that a chatty command never blocks on a full pipe, and
     * keeps at most the cap: the rest is read and dropped, and the drop is remembered.
     */
    private static final class OutputCollector {
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private final int cap;
        private final Thread thread;
        private boolean truncated;

        private OutputCollector(InputStream in, int cap) {
            this.cap = cap;
            thread = new Thread(() -> drain(in), "bulkhead-host-output");
            thread.setDaemon(true);
        }

        static OutputCollector start(InputStream in, int cap) {
            OutputCollector collector = new OutputCollector(in, cap);
            collector.thread.start();
            return collector;
        }

        private void drain(InputStream in) {
            byte[] chunk = new byte[8192];
            try (in) {
                for (int n; (n = in.read(chunk)) >= 0;) {
                    synchronized (buffer) {
                        int kept = Math.min(n, cap - buffer.size());
                        buffer.write(chunk, 0, kept);
                        truncated |= kept < n;
                    }
                }
            } catch (IOException e) {
                // The stream was closed under us: keep what arrived.
            }
        }

        boolean truncated() {
            synchronized (buffer) {
                return truncated;
            }
        }

        /** Waits for end of stream until the deadline, then returns what arrived. */
        byte[] await(long deadline) {
            joinUntil(thread, deadline);
            synchronized (buffer) {
                return buffer.toByteArray();
            }
        }
    }
}
