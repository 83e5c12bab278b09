package dev.bulkhead.api.host;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Drains a program's stdout on its own thread into lines that wait to be taken, within the bounds
 * {@link HostCommands.Streaming} names: a line at most {@code maxLine} bytes, at most {@code maxWaiting} bytes
 * of lines waiting, at most {@code total} bytes delivered in all. A line past a bound is dropped rather than
 * waited for, so the program never blocks on a reader that lags; the drop is remembered.
 */
final class LineQueue {
    /** A waiting line and the bytes it counts for: its UTF-8 form and its newline. */
    private record Line(String text, int bytes) {
    }

    private final Deque<Line> waiting = new ArrayDeque<>();
    private final int maxLine;
    private final int maxWaiting;
    private final long total;
    private final Thread thread;
    private int waitingBytes;
    private long delivered;
    private boolean truncated;
    private boolean ended;

    private LineQueue(InputStream in, int maxLine, int maxWaiting, long total) {
        this.maxLine = maxLine;
        this.maxWaiting = maxWaiting;
        this.total = total;
        thread = new Thread(() -> drain(in), "bulkhead-host-lines");
        thread.setDaemon(true);
    }

    static LineQueue start(InputStream in, int maxLine, int maxWaiting, long total) {
        LineQueue queue = new LineQueue(in, maxLine, maxWaiting, total);
        queue.thread.start();
        return queue;
    }

    private void drain(InputStream in) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean cut = false;
        byte[] chunk = new byte[8192];
        try (in) {
            for (int n; (n = in.read(chunk)) >= 0;) {
                for (int i = 0; i < n; i++) {
                    byte b = chunk[i];
                    if (b == '\n') {
                        offer(line, cut);
                        line.reset();
                        cut = false;
                    } else if (line.size() < maxLine) {
                        line.write(b);
                    } else {
                        cut = true;
                    }
                }
            }
        } catch (IOException e) {
            // the stream was closed under us: what arrived stays
        }
        if (line.size() > 0 || cut) {
            offer(line, cut);
        }
        end();
    }

    private synchronized void offer(ByteArrayOutputStream line, boolean cut) {
        if (ended) {
            return; // given up on by finish: nobody waits for it any more
        }
        int bytes = line.size() + 1;
        truncated |= cut;
        if (delivered + bytes > total || waitingBytes + bytes > maxWaiting) {
            truncated = true;
            return;
        }
        waiting.add(new Line(line.toString(StandardCharsets.UTF_8), bytes));
        waitingBytes += bytes;
        delivered += bytes;
        notifyAll();
    }

    /** No line comes any more: the lines waiting are the last. */
    private synchronized void end() {
        ended = true;
        notifyAll();
    }

    /** The next line, waiting for it up to the timeout; empty when none came in time or none will come. */
    synchronized Optional<String> take(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            while (waiting.isEmpty() && !ended) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Optional.empty();
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    interrupted = true;
                    return Optional.empty();
                }
            }
            Line line = waiting.poll();
            if (line == null) {
                return Optional.empty();
            }
            waitingBytes -= line.bytes();
            return Optional.of(line.text());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    synchronized boolean ended() {
        return ended && waiting.isEmpty();
    }

    synchronized boolean truncated() {
        return truncated;
    }

    /**
     * Waits for the end of the stream until the deadline ({@link System#nanoTime()}), then ends the lines
     * anyway: a process that escaped a kill may hold the pipe open for ever, and nobody should wait on it.
     */
    void finish(long deadline) {
        ProcessHostCommands.joinUntil(thread, deadline);
        end();
    }
}
