package dev.bulkhead.shell.internal.channel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.Parameter;

import dev.bulkhead.shell.internal.ExitStatusException;

/**
 * The real Gogo runtime, as the platform runs it, with a few commands in scope {@code t} that
 * record what they were given: the client channel's tests drive it through a real socket.
 */
final class TestShell implements AutoCloseable {
    final ThreadIOImpl threadIO = new ThreadIOImpl();
    final CommandProcessorImpl processor;
    final Commands commands = new Commands();

    TestShell() {
        threadIO.start();
        processor = new CommandProcessorImpl(threadIO);
        for (String function : new String[] {"echo", "both", "answer", "twice", "greet", "size", "fail", "quiet", "exit", "block", "note",
                "read", "remove", "touch"}) {
            processor.addCommand("t", commands, function);
        }
    }

    @Override
    public void close() {
        processor.stop();
        threadIO.stop();
    }

    /** Commands that print through System.out, as the qvm:* commands do, and remember what they did. */
    public static final class Commands {
        final Map<String, String> notes = new ConcurrentHashMap<>();
        final AtomicInteger removals = new AtomicInteger();
        final CountDownLatch blockStarted = new CountDownLatch(1);
        final CountDownLatch blockInterrupted = new CountDownLatch(1);

        public void echo(String... words) {
            System.out.println(String.join(" ", words));
        }

        public void both() {
            System.out.print("to out\n");
            System.err.print("to err\n");
        }

        public int answer() {
            return 42;
        }

        public int twice(int n) {
            return 2 * n;
        }

        public void greet(@Parameter(names = {"-l", "--loud"}, presentValue = "true", absentValue = "false") boolean loud, String name) {
            System.out.println(loud ? "HELLO " + name.toUpperCase() : "hello " + name);
        }

        /** A valued option, as bench:run takes {@code --rounds N}. */
        public String size(@Parameter(names = "--unit", absentValue = "B") String unit, int n) {
            return n + " " + unit;
        }

        public void fail() {
            throw new IllegalArgumentException("no such qube: 'nope'");
        }

        public void quiet() {
            throw new IllegalStateException();
        }

        public void exit(int status, String... message) {
            throw new ExitStatusException(status, String.join(" ", message));
        }

        public void block() throws InterruptedException {
            blockStarted.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                blockInterrupted.countDown();
                throw e;
            }
        }

        /** Stores a value as {@code qvm:features NAME KEY VALUE} does. */
        public void note(String key, String value) {
            notes.put(key, value);
        }

        public void read(String key) {
            System.out.println(notes.get(key));
        }

        /** The canary: a hostile argument must never make this run. */
        public void remove(String... names) {
            removals.incrementAndGet();
        }

        public void touch(String path) throws IOException {
            Files.writeString(Path.of(path), "touched");
        }
    }
}
