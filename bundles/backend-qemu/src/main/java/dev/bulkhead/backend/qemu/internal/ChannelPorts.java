package dev.bulkhead.backend.qemu.internal;

import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;

/**
 * The QMP side of one domain's channels. A channel is a socket chardev that connects to the socket dom0 listens on
 * (named by the service alone: QEMU runs in the channel directory), and a virtserialport on the virtio-serial
 * controller's bus that takes its bytes, which the guest sees as {@code /dev/virtio-ports/dev.bulkhead.SERVICE}.
 * QEMU's ids take letters, digits, '-', '.' and '_' only, so a service's ids write '_' as "__" and '+' as "_p":
 * two services never share one.
 */
final class ChannelPorts {
    /** Before every channel's port name: apart from the names of other ports (the guest agent's {@code org.qemu.guest_agent.0}). */
    static final String PORT_PREFIX = "dev.bulkhead.";
    private static final long RELEASE_POLL_MILLIS = 5;

    /** One domain's QMP monitor: runs a command, with arguments or {@code null}, and returns its answer. */
    @FunctionalInterface
    interface Monitor {
        JsonNode execute(String command, ObjectNode arguments);
    }

    private final Monitor monitor;
    private final Duration timeout;

    /** @param timeout how long QEMU may take to release a removed port's chardev */
    ChannelPorts(Monitor monitor, Duration timeout) {
        this.monitor = monitor;
        this.timeout = timeout;
    }

    static String portName(String service) {
        return PORT_PREFIX + service;
    }

    static String chardevId(String service) {
        return "bh-chan-" + escape(service);
    }

    static String deviceId(String service) {
        return "bh-port-" + escape(service);
    }

    private static String escape(String service) {
        return service.replace("_", "__").replace("+", "_p");
    }

    /** {@code chardev-add}'s (and {@code chardev-change}'s) arguments: a unix socket client, connecting at once. */
    static ObjectNode chardevArguments(String service) {
        ObjectNode address = object().put("type", "unix");
        address.set("data", object().put("path", service));
        ObjectNode socket = object();
        socket.set("addr", address);
        socket.put("server", false);
        ObjectNode backend = object().put("type", "socket");
        backend.set("data", socket);
        ObjectNode arguments = object().put("id", chardevId(service));
        arguments.set("backend", backend);
        return arguments;
    }

    static ObjectNode deviceArguments(String service) {
        return object().put("driver", "virtserialport").put("id", deviceId(service)).put("bus", QemuCommandLine.SERIAL_BUS)
                .put("chardev", chardevId(service)).put("name", portName(service));
    }

    private static ObjectNode idArgument(String id) {
        return object().put("id", id);
    }

    private static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    /**
     * Adds the service's port. dom0's socket must listen: QEMU connects to it before the guest sees the port, so
     * nothing the guest writes is ever without a reader in dom0. A port QEMU refuses leaves no chardev behind.
     */
    void plug(String service) {
        monitor.execute("chardev-add", chardevArguments(service));
        try {
            monitor.execute("device_add", deviceArguments(service));
        } catch (AdminException e) {
            try {
                removeChardev(service);
            } catch (AdminException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** Connects the port's chardev to dom0's socket anew: the connection it had, and dom0's stream on it, end. */
    void reconnect(String service) {
        monitor.execute("chardev-change", chardevArguments(service));
    }

    /** Whether QEMU holds the service's port or its chardev, as an earlier run of the platform may have left them. */
    boolean present(String service) {
        return hasChardev(service) || hasDevice(service);
    }

    /** Removes the service's port and its chardev, whichever of them is there: the guest sees the port go, dom0's stream ends. */
    void unplug(String service) {
        if (hasDevice(service)) {
            monitor.execute("device_del", idArgument(deviceId(service)));
        }
        removeChardev(service);
    }

    /** QEMU releases a port's chardev only once the port is gone, a moment after {@code device_del} returns. */
    private void removeChardev(String service) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                monitor.execute("chardev-remove", idArgument(chardevId(service)));
                return;
            } catch (AdminException e) {
                if (!hasChardev(service)) {
                    return;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new AdminException("QEMU did not release the chardev of channel '" + service + "' within "
                            + timeout.toMillis() + " ms: " + e.getMessage(), e);
                }
            }
            try {
                Thread.sleep(RELEASE_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AdminException("interrupted while removing the chardev of channel '" + service + "'", e);
            }
        }
    }

    private boolean hasChardev(String service) {
        String id = chardevId(service);
        for (JsonNode chardev : monitor.execute("query-chardev", null)) {
            if (id.equals(chardev.path("label").asText())) {
                return true;
            }
        }
        return false;
    }

    private boolean hasDevice(String service) {
        String id = deviceId(service);
        for (JsonNode child : monitor.execute("qom-list", object().put("path", "/machine/peripheral"))) {
            if (id.equals(child.path("name").asText())) {
                return true;
            }
        }
        return false;
    }
}
