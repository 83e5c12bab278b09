package dev.bulkhead.backend.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.AdminException;

/**
 * The QMP commands a channel's port is made of, their arguments as QEMU takes them, sent through the real QMP
 * client to a fake monitor; QemuBackendSystemTest is the twin against QEMU's own (ports added to a running guest).
 */
class ChannelPortsTest {
    private static final String GREETING = "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n";
    private static final String OK = "{\"return\": {}}\r\n";
    /** QEMU's rule for ids (id_wellformed): a letter, then letters, digits, '-', '.' and '_'. */
    private static final String QEMU_ID = "[A-Za-z][A-Za-z0-9._-]*";

    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path temp;

    @Test
    void aPortIsAChardevConnectingToDom0sSocketByItsBareNameThenAVirtserialportOnTheControllersBus() throws Exception {
        FakeQemu qemu = new FakeQemu();
        try (FakeJsonServer server = qemu.serve(temp.resolve("qmp.sock"))) {
            qemu.ports(temp.resolve("qmp.sock")).plug("gui");

            assertEquals(List.of("qmp_capabilities", "chardev-add", "qmp_capabilities", "device_add"), server.commands());
            assertEquals(json.readTree("""
                    {"id": "bh-chan-gui", "backend": {"type": "socket",
                      "data": {"addr": {"type": "unix", "data": {"path": "gui"}}, "server": false}}}"""),
                    server.requests().get(1).get("arguments"));
            assertEquals(json.readTree("""
                    {"driver": "virtserialport", "id": "bh-port-gui", "bus": "virtio-serial0.0",
                     "chardev": "bh-chan-gui", "name": "dev.bulkhead.gui"}"""),
                    server.requests().get(3).get("arguments"));
        }
    }

    @Test
    void theControllersBusIsTheOneOnQemusCommandLine() {
        assertTrue(QemuCommandLine.SERIAL_BUS.startsWith(QemuCommandLine.SERIAL_CONTROLLER + "."));
        assertEquals("virtio-serial0.0", ChannelPorts.deviceArguments("x").path("bus").asText());
    }

    @Test
    void reconnectingChangesTheChardevToTheSameSocket() throws Exception {
        FakeQemu qemu = new FakeQemu();
        try (FakeJsonServer server = qemu.serve(temp.resolve("qmp.sock"))) {
            qemu.ports(temp.resolve("qmp.sock")).reconnect("gui");
            assertEquals("chardev-change", server.requests().get(1).path("execute").asText());
            assertEquals(ChannelPorts.chardevArguments("gui"), server.requests().get(1).get("arguments"));
        }
    }

    @Test
    void unplugDeletesThePortThenRemovesItsChardevOnceQemuReleasesIt() throws Exception {
        FakeQemu qemu = new FakeQemu();
        qemu.chardevs.add("bh-chan-gui");
        qemu.devices.add("bh-port-gui");
        qemu.busyRemovals.set(3);
        try (FakeJsonServer server = qemu.serve(temp.resolve("qmp.sock"))) {
            qemu.ports(temp.resolve("qmp.sock")).unplug("gui");

            List<String> commands = server.commands().stream().filter(c -> !c.equals("qmp_capabilities")).toList();
            assertEquals(List.of("qom-list", "device_del", "chardev-remove", "query-chardev", "chardev-remove", "query-chardev",
                    "chardev-remove", "query-chardev", "chardev-remove"), commands);
            List<JsonNode> arguments = server.requests().stream().filter(r -> !r.path("execute").asText().equals("qmp_capabilities"))
                    .map(r -> r.get("arguments")).toList();
            assertEquals(json.readTree("{\"path\": \"/machine/peripheral\"}"), arguments.get(0));
            assertEquals(json.readTree("{\"id\": \"bh-port-gui\"}"), arguments.get(1));
            assertEquals(json.readTree("{\"id\": \"bh-chan-gui\"}"), arguments.get(2));
            assertTrue(qemu.chardevs.isEmpty() && qemu.devices.isEmpty());
        }
    }

    @Test
    void aPortHalfLeftByAnEarlierRunIsFoundAndItsChardevRemoved() throws Exception {
        FakeQemu qemu = new FakeQemu();
        qemu.chardevs.add("bh-chan-gui");
        try (FakeJsonServer server = qemu.serve(temp.resolve("qmp.sock"))) {
            ChannelPorts ports = qemu.ports(temp.resolve("qmp.sock"));
            assertTrue(ports.present("gui"));
            assertFalse(ports.present("other"));
            ports.unplug("gui");
            assertFalse(server.commands().contains("device_del"), "no port to delete: " + server.commands());
            assertFalse(ports.present("gui"));
        }
    }

    @Test
    void aChardevQemuNeverReleasesFailsAtTheTimeoutNamingTheChannel() throws Exception {
        FakeQemu qemu = new FakeQemu();
        qemu.chardevs.add("bh-chan-gui");
        qemu.busyRemovals.set(Integer.MAX_VALUE);
        try (FakeJsonServer server = qemu.serve(temp.resolve("qmp.sock"))) {
            AdminException e = assertThrows(AdminException.class,
                    () -> new ChannelPorts(qemu.monitor(temp.resolve("qmp.sock")), Duration.ofMillis(100)).unplug("gui"));
            assertTrue(e.getMessage().contains("did not release the chardev of channel 'gui'") && e.getMessage().contains("is busy"),
                    e.getMessage());
        }
    }

    @Test
    void aPortQemuRefusesLeavesNoChardev() throws Exception {
        FakeQemu qemu = new FakeQemu();
        qemu.refuseDevices = true;
        try (FakeJsonServer server = qemu.serve(temp.resolve("qmp.sock"))) {
            AdminException e = assertThrows(AdminException.class, () -> qemu.ports(temp.resolve("qmp.sock")).plug("gui"));
            assertTrue(e.getMessage().contains("device_add") && e.getMessage().contains("no free port"), e.getMessage());
            assertTrue(server.commands().contains("chardev-remove"), server.commands().toString());
            assertTrue(qemu.chardevs.isEmpty(), "chardevs left: " + qemu.chardevs);
        }
    }

    @Test
    void everyServiceNameGivesWellFormedIdsOfItsOwn() {
        List<String> services = List.of("gui", "a_pb", "a+b", "a_b", "a__b", "qubes.Gpg+foo", "x-1.2", "A", "9");
        Set<String> chardevs = ConcurrentHashMap.newKeySet();
        Set<String> devices = ConcurrentHashMap.newKeySet();
        for (String service : services) {
            assertTrue(ChannelPorts.chardevId(service).matches(QEMU_ID), ChannelPorts.chardevId(service));
            assertTrue(ChannelPorts.deviceId(service).matches(QEMU_ID), ChannelPorts.deviceId(service));
            assertTrue(chardevs.add(ChannelPorts.chardevId(service)), "two services share " + ChannelPorts.chardevId(service));
            assertTrue(devices.add(ChannelPorts.deviceId(service)), "two services share " + ChannelPorts.deviceId(service));
            assertEquals("dev.bulkhead." + service, ChannelPorts.portName(service));
        }
        assertNotEquals("org.qemu.guest_agent.0", ChannelPorts.portName("org.qemu.guest_agent.0"),
                "a service cannot take the guest agent's port name");
    }

    /** The monitor's state, as far as the commands above touch it, answering as QEMU 7.2 does. */
    private final class FakeQemu {
        final Set<String> chardevs = ConcurrentHashMap.newKeySet();
        final Set<String> devices = ConcurrentHashMap.newKeySet();
        /** How many more chardev-remove QEMU refuses as busy after the port's device_del. */
        final AtomicInteger busyRemovals = new AtomicInteger();
        volatile boolean refuseDevices;

        FakeJsonServer serve(Path socket) throws Exception {
            return new FakeJsonServer(socket, GREETING, this::answer);
        }

        ChannelPorts ports(Path socket) {
            return new ChannelPorts(monitor(socket), Duration.ofSeconds(5));
        }

        ChannelPorts.Monitor monitor(Path socket) {
            QmpClient qmp = new QmpClient(json, Duration.ofSeconds(5));
            return (command, arguments) -> qmp.execute(socket, command, arguments);
        }

        private String answer(JsonNode request) {
            JsonNode arguments = request.path("arguments");
            String id = arguments.path("id").asText();
            return switch (request.path("execute").asText()) {
                case "qmp_capabilities", "chardev-change" -> OK;
                case "chardev-add" -> chardevs.add(id) ? OK : error("Duplicate ID '" + id + "' for chardev");
                case "device_add" -> refuseDevices ? error("virtio-serial-bus: no free port") : added(devices, id);
                case "device_del" -> devices.remove(id) ? OK : error("Device '" + id + "' not found");
                case "chardev-remove" -> !chardevs.contains(id) ? error("Chardev '" + id + "' not found")
                        : busyRemovals.getAndUpdate(n -> n == 0 ? 0 : n - 1) > 0 ? error("Chardev '" + id + "' is busy")
                        : removed(chardevs, id);
                case "query-chardev" -> list(chardevs, c -> "{\"label\": \"" + c + "\", \"filename\": \"unix:\", \"frontend-open\": false}");
                case "qom-list" -> list(devices, d -> "{\"name\": \"" + d + "\", \"type\": \"child<virtserialport>\"}");
                default -> error("unexpected command " + request);
            };
        }

        private static String added(Set<String> set, String id) {
            set.add(id);
            return OK;
        }

        private static String removed(Set<String> set, String id) {
            set.remove(id);
            return OK;
        }

        private static String list(Set<String> items, Function<String, String> item) {
            return "{\"return\": [" + String.join(", ", items.stream().map(item).toList()) + "]}\r\n";
        }

        private static String error(String desc) {
            return "{\"error\": {\"class\": \"GenericError\", \"desc\": \"" + desc + "\"}}\r\n";
        }
    }
}
