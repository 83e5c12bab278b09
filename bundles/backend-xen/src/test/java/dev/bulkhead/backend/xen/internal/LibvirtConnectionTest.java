package dev.bulkhead.backend.xen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.event.DomainEventType;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.hypervisor.DomainStatus;
import dev.bulkhead.testing.Await;

/**
 * The binding against the real libvirt library of this host, on libvirt's built-in test driver (a mock hypervisor inside
 * libvirt.so itself, {@code test://FILE}, fresh from a node file for each test): connect, define, start, list, stop, undefine, and
 * lifecycle events through the event loop. Skipped where libvirt0 is not installed.
 */
class LibvirtConnectionTest {
    private static final Duration KEEPALIVE = Duration.ofSeconds(5);
    /** A node of the test driver with one running domain, {@code test}. */
    private static final String NODE = "<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads>"
            + "<active>2</active><mhz>2000</mhz><model>x</model></cpu><memory>4194304</memory><domain type='test'><name>test</name>"
            + "<memory>131072</memory><os><type>hvm</type></os></domain></node>";

    @TempDir
    Path dir;
    /** A fresh mock hypervisor for each test: test:///default is one per process, shared by the tests. */
    private String testUri;

    @BeforeAll
    static void libvirtPresent() {
        assertTrue(Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libvirt.so.0")), "libvirt0 is not installed: apt-get install libvirt0");
    }

    @BeforeEach
    void node() throws IOException {
        Path node = dir.resolve("node.xml");
        Files.writeString(node, NODE);
        testUri = "test://" + node;
    }

    @Test
    void aConnectionListsTheTestDriversDomain() {
        try (LibvirtConnection libvirt = LibvirtConnection.open(testUri, KEEPALIVE, 3, null)) {
            assertTrue(libvirt.alive());
            assertEquals(List.of(new DomainStatus("test", PowerState.Running)), libvirt.domains());
            assertEquals(Optional.empty(), libvirt.state("nothing"));
        }
    }

    @Test
    void aDomainIsDefinedStartedStoppedAndUndefinedWithAnEventForEach() {
        List<String> events = new CopyOnWriteArrayList<>();
        try (LibvirtConnection libvirt = LibvirtConnection.open(testUri, KEEPALIVE, 3, (name, type) -> events.add(name + " " + type))) {
            String name = libvirt.define("<domain type='test'><name>work</name><memory>131072</memory>"
                    + "<os><type>hvm</type></os></domain>");
            assertEquals("work", name);
            assertEquals(Optional.of(PowerState.Halted), libvirt.state("work"));

            libvirt.start("work");
            assertEquals(Optional.of(PowerState.Running), libvirt.state("work"));
            libvirt.suspend("work");
            assertEquals(Optional.of(PowerState.Paused), libvirt.state("work"));
            libvirt.resume("work");
            libvirt.destroy("work");
            assertEquals(Optional.of(PowerState.Halted), libvirt.state("work"));
            libvirt.undefine("work");
            assertEquals(Optional.empty(), libvirt.state("work"));

            Await.until("libvirt's lifecycle events", Await.DEFAULT_BOUND, () -> events.contains("work " + DomainEventType.UNDEFINED),
                    events::toString);
            assertEquals(List.of("work DEFINED", "work STARTED", "work SUSPENDED", "work RESUMED", "work STOPPED", "work UNDEFINED"),
                    events);
        }
    }

    @Test
    void aDomainThatStopsOutsideTheConnectionIsToldByAnEvent() {
        List<String> events = new CopyOnWriteArrayList<>();
        try (LibvirtConnection libvirt = LibvirtConnection.open(testUri, KEEPALIVE, 3, (name, type) -> events.add(name + " " + type))) {
            libvirt.shutdown("test");

            Await.until("the stop of domain test", Await.DEFAULT_BOUND, () -> events.contains("test " + DomainEventType.STOPPED), events::toString);
        }
    }

    @Test
    void anActionOnAnUnknownDomainNamesTheUriAndTheDomain() {
        try (LibvirtConnection libvirt = LibvirtConnection.open(testUri, KEEPALIVE, 3, null)) {
            AdminException e = assertThrows(AdminException.class, () -> libvirt.start("nothing"));
            assertTrue(e.getMessage().contains(testUri) && e.getMessage().contains("'nothing'"), e.getMessage());
        }
    }

    @Test
    void aUriWithNoLibvirtBehindItIsRefusedNamingIt() {
        for (String uri : List.of("xen+tcp://127.0.0.1:1/system", "xen+unix:///system?socket=/nonexistent/libvirt-sock")) {
            AdminException e = assertThrows(AdminException.class, () -> LibvirtConnection.open(uri, KEEPALIVE, 3, null));
            assertTrue(e.getMessage().startsWith("cannot connect to libvirt at " + uri + ": "), e.getMessage());
        }
    }

    @Test
    void theEventLoopStopsWithTheLastConnectionAndStartsAgain() throws IOException {
        for (int i = 0; i < 3; i++) {
            node();
            List<String> events = new CopyOnWriteArrayList<>();
            try (LibvirtConnection libvirt = LibvirtConnection.open(testUri, KEEPALIVE, 3, (name, type) -> events.add(name + " " + type))) {
                libvirt.destroy("test");
                Await.until("the stop event, round " + i, Await.DEFAULT_BOUND, () -> events.contains("test STOPPED"), events::toString);
            }
            Await.until("the event loop's thread to end", () -> Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().equals("libvirt-events")));
        }
    }
}
