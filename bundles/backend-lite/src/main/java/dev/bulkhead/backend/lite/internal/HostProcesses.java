package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Host processes seen through procfs, for waiting on a container's init without a runc call per poll. */
final class HostProcesses {
    private static final long FIRST_POLL_MILLIS = 1;
    private static final long LONGEST_POLL_MILLIS = 20;

    private final Path proc;

    HostProcesses(Path proc) {
        this.proc = proc;
    }

    /**
     * Waits until the process has exited (gone, or a zombie) or the timeout has passed. An interrupt
     * does not end the wait early (a stop cut short would skip its grace), it is kept for the caller.
     *
     * @return whether it exited in time
     */
    boolean awaitExit(long pid, Duration timeout) {
        Optional<String> startTime = liveStartTime(pid);
        if (startTime.isEmpty()) {
            return true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = FIRST_POLL_MILLIS;
        boolean interrupted = false;
        try {
            while (System.nanoTime() < deadline) {
                try {
                    Thread.sleep(Math.min(pause, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                // A different start time means the pid was reused: the process we waited for is gone.
                if (!liveStartTime(pid).equals(startTime)) {
                    return true;
                }
                pause = Math.min(pause * 2, LONGEST_POLL_MILLIS);
            }
            return false;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The process's start time (field 22 of its stat), or empty when it is gone or a zombie. */
    private Optional<String> liveStartTime(long pid) {
        String stat;
        try {
            stat = Files.readString(proc.resolve(Long.toString(pid)).resolve("stat"));
        } catch (IOException e) {
            return Optional.empty();
        }
        // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        String state = fields[0];
        if (state.equals("Z") || state.equals("X")) {
            return Optional.empty();
        }
        return Optional.of(fields[19]);
    }
}
