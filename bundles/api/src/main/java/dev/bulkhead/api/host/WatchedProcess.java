package dev.bulkhead.api.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A host process followed by its pid and its start time. A pid the kernel has given to a new process since
 * is seen as the old process gone, never as the old process still running; so is a zombie, whose work is
 * over although its parent has not reaped it yet.
 */
public final class WatchedProcess {
    private static final long FIRST_POLL_MILLIS = 1;
    private static final long LONGEST_POLL_MILLIS = 20;
    private static final Path PROC = Path.of("/proc");

    private final long pid;
    private final Instant startedAt;

    private WatchedProcess(long pid, Instant startedAt) {
        this.pid = pid;
        this.startedAt = startedAt;
    }

    /** The live process with this pid, as it is now; empty when there is none (or only a zombie). */
    public static Optional<WatchedProcess> of(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().startInstant()).map(start -> new WatchedProcess(pid, start))
                .filter(WatchedProcess::isAlive);
    }

    /**
     * The process with this pid that started at this instant: what a record of an earlier pid and start
     * time names, to be checked against whatever holds that pid today.
     */
    public static WatchedProcess of(long pid, Instant startedAt) {
        return new WatchedProcess(pid, startedAt);
    }

    /**
     * Waits for the process that holds the pid now to exit, or for the timeout; true at once when no live
     * process holds it. Like {@link #awaitExit(Duration)}, an interrupt is kept for the caller.
     */
    public static boolean awaitExitOf(long pid, Duration timeout) {
        return of(pid).map(p -> p.awaitExit(timeout)).orElse(true);
    }

    public long pid() {
        return pid;
    }

    public Instant startedAt() {
        return startedAt;
    }

    /** Whether this very process still runs: its pid is live, not a zombie, and started when this one did. */
    public boolean isAlive() {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        return handle.isPresent() && handle.get().info().startInstant().equals(Optional.of(startedAt)) && !zombie();
    }

    /**
     * Waits until the process has exited (gone, a zombie, or its pid reused) or the timeout has passed. An
     * interrupt does not end the wait early (a stop cut short would skip its grace); it is kept for the caller.
     *
     * @return whether it exited in time
     */
    public boolean awaitExit(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = FIRST_POLL_MILLIS;
        boolean interrupted = false;
        try {
            while (isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    Thread.sleep(Math.min(pause, Math.max(1, left / 1_000_000)));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                pause = Math.min(pause * 2, LONGEST_POLL_MILLIS);
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Sends SIGKILL, unless the pid now belongs to another process. */
    public void kill() {
        if (isAlive()) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /** ProcessHandle counts a zombie as alive: only its state in procfs tells. */
    private boolean zombie() {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
            // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state == 'Z' || state == 'X';
        } catch (IOException | IndexOutOfBoundsException e) {
            return true; // gone between the two looks
        }
    }

    @Override
    public String toString() {
        return "process " + pid + " started " + startedAt;
    }
}
