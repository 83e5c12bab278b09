package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;

/**
 * Starts a domain's QEMU in a session of its own (so that it outlives the platform, and a signal to the
 * platform's terminal does not reach it), in the domain's network namespace, and waits until its monitor listens.
 */
final class QemuLauncher {
    private final DomainLayout layout;
    private final HostCommands commands;
    private final Duration timeout;

    QemuLauncher(DomainLayout layout, HostCommands commands, Duration timeout) {
        this.layout = layout;
        this.commands = commands;
        this.timeout = timeout;
    }

    /**
     * QEMU refuses a bad command line by exiting at once. What QEMU prints goes to the domain's
     * {@code qemu.log}, whose last line is then the reason. QEMU runs in the domain's channel directory, which
     * must exist: the channels' sockets are named relative to it ({@link DomainLayout#channelDirectory}).
     */
    void launch(String name, Path netns, List<String> argv) {
        Path log = layout.qemuLog(name);
        Path monitor = layout.qmpSocket(name);
        try {
            Files.deleteIfExists(monitor);
        } catch (IOException e) {
            throw new AdminException("cannot remove the old monitor socket of '" + name + "': " + e.getMessage(), e);
        }
        List<String> command = new ArrayList<>();
        command.add("setsid");
        command.addAll(List.of("nsenter", "--net=" + netns, "--"));
        command.addAll(argv);
        // the timeout bounds only the wait below: QEMU runs on after it, outside the platform's process tree
        HostCommands.Started qemu = commands.start(HostCommand.of(timeout, command).withOutputTo(log)
                .withDirectory(layout.channelDirectory(name)));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(monitor)) {
            if (!qemu.isAlive()) {
                String reason;
                try {
                    reason = lastLine(Files.readString(log));
                } catch (IOException e) {
                    reason = "(cannot read " + log + ": " + e.getMessage() + ")";
                }
                throw new AdminException("QEMU for '" + name + "' failed (exit " + qemu.await().exitStatus() + "): " + reason);
            }
            if (System.nanoTime() > deadline) {
                qemu.stop();
                throw new AdminException("QEMU for '" + name + "' did not start within " + timeout.toSeconds() + " s");
            }
            LockSupport.parkNanos(5_000_000);
        }
    }

    private static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        return lines[lines.length - 1].strip();
    }
}
