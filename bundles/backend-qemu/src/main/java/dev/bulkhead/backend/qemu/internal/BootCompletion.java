package dev.bulkhead.backend.qemu.internal;

import java.time.Duration;
import java.util.function.Function;

import dev.bulkhead.api.AdminException;

/**
 * When a start is over. A domain of the built-in image has started once its guest agent answers: from then on it takes
 * commands. One with an operating system of its own ({@code virt_mode=hvm}) has no agent: it has started once its
 * QEMU runs the firmware, which its launch has seen (the monitor listens), unless QEMU has ended meanwhile.
 */
final class BootCompletion {
    private final DomainLayout layout;
    private final QemuProcesses processes;
    private final GuestControl control;
    private final Duration bootTimeout;
    private final Function<String, String> consoleLog;

    BootCompletion(DomainLayout layout, QemuProcesses processes, GuestControl control, Duration bootTimeout,
            Function<String, String> consoleLog) {
        this.layout = layout;
        this.processes = processes;
        this.control = control;
        this.bootTimeout = bootTimeout;
        this.consoleLog = consoleLog;
    }

    void await(String name, boolean hvm) {
        if (hvm) {
            requireAlive(name);
            return;
        }
        long deadline = System.nanoTime() + bootTimeout.toNanos();
        while (true) {
            requireAlive(name);
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AdminException("the guest agent of '" + name + "' did not answer within "
                        + bootTimeout.toSeconds() + " s of its start; its console said: " + tail(consoleLog.apply(name)));
            }
            if (control.agentAnswers(name, Duration.ofNanos(Math.min(left, Duration.ofSeconds(1).toNanos())))) {
                return;
            }
        }
    }

    private void requireAlive(String name) {
        if (processes.running(layout.pidFile(name)).isEmpty()) {
            throw new AdminException("QEMU of '" + name + "' ended while the guest booted; its console said: "
                    + tail(consoleLog.apply(name)));
        }
    }

    private static String tail(String log) {
        String s = log.strip();
        return s.isEmpty() ? "(nothing)" : s.substring(Math.max(0, s.length() - 300)).replace('\n', ' ');
    }
}
