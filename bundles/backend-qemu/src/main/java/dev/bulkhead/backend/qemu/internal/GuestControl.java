package dev.bulkhead.backend.qemu.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.PowerState;

/**
 * Talks to a running domain: to its QEMU through QMP (run state, pause, power-off) and to its guest through
 * the guest agent (pings, commands, shutdown). Each of the two serves one client at a time, so requests to
 * one domain's monitor, and to its agent, take turns.
 */
final class GuestControl {
    private static final Duration FIRST_POLL = Duration.ofMillis(2);
    private static final Duration LONGEST_POLL = Duration.ofMillis(100);

    private final DomainLayout layout;
    private final QmpClient qmp;
    private final GuestAgentClient agent;
    private final Duration requestTimeout;
    private final ConcurrentMap<String, Object> monitorLocks = new ConcurrentHashMap<>();
    /** The guest agent serves one client at a time: requests to one domain's agent take turns, also during an exec. */
    private final ConcurrentMap<String, Object> agentLocks = new ConcurrentHashMap<>();

    GuestControl(DomainLayout layout, QmpClient qmp, GuestAgentClient agent, Duration requestTimeout) {
        this.layout = layout;
        this.qmp = qmp;
        this.agent = agent;
        this.requestTimeout = requestTimeout;
    }

    /** A QMP request; QEMU serves one monitor client at a time, so this backend's requests to a domain take turns. */
    JsonNode monitor(String name, String command) {
        return monitor(name, command, null);
    }

    /** A QMP request with arguments ({@code null} for none). */
    JsonNode monitor(String name, String command, ObjectNode arguments) {
        synchronized (monitorLocks.computeIfAbsent(name, n -> new Object())) {
            return qmp.execute(layout.qmpSocket(name), command, arguments);
        }
    }

    /** The run state QMP reports, as a power state. */
    PowerState runState(String name) {
        return powerState(monitor(name, "query-status").path("status").asText());
    }

    /** QEMU's run states (QMP RunState) as Qubes' power states. */
    static PowerState powerState(String runState) {
        return switch (runState) {
            case "running" -> PowerState.Running;
            case "paused", "suspended" -> PowerState.Paused;
            case "shutdown" -> PowerState.Halting;
            case "guest-panicked", "internal-error", "io-error" -> PowerState.Crashed;
            case "prelaunch", "inmigrate", "postmigrate", "finish-migrate", "restore-vm", "save-vm", "watchdog", "debug",
                    "colo" -> PowerState.Transient;
            default -> PowerState.NA;
        };
    }

    /** Whether the guest agent answers within {@code wait}. */
    boolean agentAnswers(String name, Duration wait) {
        synchronized (agentLockOf(name)) {
            return agent.ping(layout.agentSocket(name), wait);
        }
    }

    /** Through the guest agent, which powers the guest off at once; through ACPI if the agent does not answer. */
    void askToPowerOff(String name) {
        try {
            if (monitor(name, "query-status").path("status").asText().equals("paused")) {
                monitor(name, "cont");
            }
        } catch (AdminException e) {
            // a QEMU that does not answer is killed when the grace is over
        }
        try {
            synchronized (agentLockOf(name)) {
                agent.shutdown(layout.agentSocket(name), requestTimeout);
            }
        } catch (AdminException e) {
            try {
                monitor(name, "system_powerdown");
            } catch (AdminException ignored) {
                // killed when the grace is over
            }
        }
    }

    /** Runs a command in the guest and waits for its end; kills it in the guest when it outlasts {@code timeout}. */
    ExecResult exec(String name, List<String> command, byte[] stdin, Duration timeout) {
        Path socket = layout.agentSocket(name);
        long deadline = System.nanoTime() + timeout.toNanos();
        long guestPid;
        synchronized (agentLockOf(name)) {
            guestPid = agent.exec(socket, command, stdin == null ? new byte[0] : stdin, requestTimeout);
        }
        Duration pause = FIRST_POLL;
        while (true) {
            GuestAgentClient.ExecStatus status;
            synchronized (agentLockOf(name)) {
                status = agent.execStatus(socket, guestPid, requestTimeout);
            }
            if (status.exited()) {
                // a command ended by a signal has no exit code: report it as a shell would
                int exit = status.signal() != 0 ? 128 + status.signal() : status.exitCode();
                return new ExecResult(exit, status.stdout(), status.stderr());
            }
            if (System.nanoTime() - deadline > 0) {
                killInGuest(name, socket, guestPid);
                throw new AdminException("command " + command + " in '" + name + "' did not finish within "
                        + timeout.toMillis() + " ms and was killed");
            }
            sleep(pause);
            pause = pause.multipliedBy(2).compareTo(LONGEST_POLL) > 0 ? LONGEST_POLL : pause.multipliedBy(2);
        }
    }

    /** The agent has no request to end a command: a kill in the guest does ({@link GuestKill}), and the agent then reaps it. */
    private void killInGuest(String name, Path socket, long guestPid) {
        synchronized (agentLockOf(name)) {
            long killer = agent.exec(socket, GuestKill.command(guestPid), new byte[0], requestTimeout);
            long deadline = System.nanoTime() + requestTimeout.toNanos();
            while (!agent.execStatus(socket, killer, requestTimeout).exited() && System.nanoTime() - deadline < 0) {
                sleep(FIRST_POLL);
            }
            // collect the killed command, so that the agent forgets it
            while (!agent.execStatus(socket, guestPid, requestTimeout).exited() && System.nanoTime() - deadline < 0) {
                sleep(FIRST_POLL);
            }
        }
    }

    /** Drops what is kept for a destroyed domain. */
    void forget(String name) {
        agentLocks.remove(name);
        monitorLocks.remove(name);
    }

    private Object agentLockOf(String name) {
        return agentLocks.computeIfAbsent(name, n -> new Object());
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException("interrupted", e);
        }
    }
}
