package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ManagedService;

/**
 * The console listens on loopback only, whatever it is told. The checks are made from a second
 * network namespace joined to the host by a veth pair whose host end has an address of its own:
 * that address is what a misconfigured server would listen on, and the namespace is where the
 * rest of the world would connect from.
 */
public class ConsoleBindIT extends ConsoleTestSupport {
    private final long pid = ProcessHandle.current().pid();
    private final String probe = "bh-it-probe-" + pid;
    private final String hostEnd = "bhpr" + pid % 100_000;
    private final String probeEnd = "bhpp" + pid % 100_000;
    /** A /30 of the benchmarking range 198.18.0.0/15, chosen by pid so that parallel builds do not meet. */
    private final int base = (int) (pid % 16_000) * 4;
    private final String hostAddress = "198.18." + (base / 256) + "." + (base % 256 + 1);
    private final String probeAddress = "198.18." + (base / 256) + "." + (base % 256 + 2);

    @Before
    public void makeTheProbeNamespace() {
        host("ip", "netns", "add", probe);
        host("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", probeEnd, "netns", probe);
        host("ip", "address", "add", hostAddress + "/30", "dev", hostEnd);
        host("ip", "link", "set", hostEnd, "up");
        host("ip", "-n", probe, "address", "add", probeAddress + "/30", "dev", probeEnd);
        host("ip", "-n", probe, "link", "set", probeEnd, "up");
        host("ip", "-n", probe, "link", "set", "lo", "up");
    }

    @After
    public void removeTheProbeNamespace() {
        HostCommand.run("ip", "link", "delete", hostEnd);
        HostCommand.run("ip", "netns", "delete", probe);
    }

    /** Whether a TCP connection from the probe namespace to the address and port succeeds. */
    private boolean reachableFromProbe(String address, int port) {
        return HostCommand.run("ip", "netns", "exec", probe, "timeout", "5", "bash", "-c",
                "exec 3<>/dev/tcp/" + address + "/" + port).exitStatus() == 0;
    }

    /** Whether anything on this host listens on the TCP port, on any address. */
    private static boolean listening(int port) {
        return host("ss", "-Htln").lines().anyMatch(l -> l.matches(".*[:\\]]" + port + "\\s.*"));
    }

    private static boolean answersOnLoopback(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private int freePortOn(String address) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(address))) {
            return s.getLocalPort();
        }
    }

    @Test
    public void theProbeReachesAListenerOnTheHostAddress() throws IOException {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getByName(hostAddress))) {
            assertTrue("the probe namespace connects to " + hostAddress, reachableFromProbe(hostAddress, listener.getLocalPort()));
        }
    }

    @Test
    public void aNonLoopbackHostInTheConsoleSettingsIsRefusedAndNothingListens() throws Exception {
        List<String> log = captureConsoleLog();
        int port = freePortOn(hostAddress);
        configureConsole("127.0.0.1", port);
        awaitTrue("the console to answer on 127.0.0.1:" + port, QUBE_TIMEOUT, () -> answersOnLoopback(port), () -> "endpoints " + endpoints());
        assertFalse("on loopback it cannot be reached from elsewhere", reachableFromProbe(hostAddress, port));

        configureConsole(hostAddress, port);

        awaitTrue("the refusal in the log", QUBE_TIMEOUT, () -> log.stream().anyMatch(l -> l.contains("refusing to serve the console")
                && l.contains("'" + hostAddress + "'")), () -> "log " + log);
        awaitTrue("the server to stop", QUBE_TIMEOUT, () -> endpoints().isEmpty() && !answersOnLoopback(port), () -> "endpoints " + endpoints());
        assertFalse("nothing answers on " + hostAddress + ":" + port, reachableFromProbe(hostAddress, port));
        assertFalse("nothing listens on port " + port, listening(port));
        assertNull("no HTTP configuration is left", configAdmin().listConfigurations("(service.pid=" + HTTP_PID + ")"));

        startConsoleOnLoopback();
    }

    @Test
    public void aNonLoopbackHostGivenToTheHttpServiceDirectlyIsSwitchedOff() throws Exception {
        List<String> log = captureConsoleLog();
        int port = freePortOn(hostAddress);
        int factoryPort = freePortOn(hostAddress);
        // Without console settings the console leaves the HTTP service unconfigured.
        configAdmin().getConfiguration(CONSOLE_PID, "?").delete();
        awaitTrue("the server to stop", QUBE_TIMEOUT, () -> endpoints().isEmpty(), () -> "endpoints " + endpoints());

        Configuration direct = configAdmin().getConfiguration(HTTP_PID, "?");
        direct.update(httpSettings(hostAddress, port));
        Configuration instance = configAdmin().getFactoryConfiguration(HTTP_PID, "probe", "?");
        instance.update(httpSettings(hostAddress, factoryPort));
        try {
            awaitConfigurationDelivery();
            assertTrue("the refusals are logged: " + log, log.stream().filter(l -> l.contains("refusing to let the HTTP service listen")
                    && l.contains("'" + hostAddress + "'")).count() >= 2);
            assertFalse(reachableFromProbe(hostAddress, port));
            assertFalse(reachableFromProbe(hostAddress, factoryPort));
            assertFalse("nothing listens on port " + port, listening(port));
            assertFalse("nothing listens on port " + factoryPort, listening(factoryPort));
            assertEquals(List.of(), endpoints());
        } finally {
            instance.delete();
            direct.delete();
        }
        startConsoleOnLoopback();
    }

    private static Dictionary<String, Object> httpSettings(String host, int port) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("org.apache.felix.http.host", host);
        props.put("org.osgi.service.http.port", Integer.toString(port));
        props.put("org.apache.felix.http.enable", "true");
        return props;
    }

    /**
     * Configuration Admin delivers configurations one after the other on one thread: once a
     * configuration written after the others has reached its service, they have reached theirs.
     */
    private void awaitConfigurationDelivery() throws IOException, InterruptedException {
        String barrierPid = "dev.bulkhead.it.barrier." + pid;
        CountDownLatch delivered = new CountDownLatch(1);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_PID, barrierPid);
        ServiceRegistration<ManagedService> reg = context.registerService(ManagedService.class, p -> {
            if (p != null) {
                delivered.countDown();
            }
        }, props);
        Configuration barrier = configAdmin().getConfiguration(barrierPid, "?");
        try {
            Dictionary<String, Object> value = new Hashtable<>();
            value.put("written", System.nanoTime());
            barrier.update(value);
            assertTrue("configuration delivered within " + QUBE_TIMEOUT.toSeconds() + " s",
                    delivered.await(QUBE_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        } finally {
            barrier.delete();
            reg.unregister();
        }
    }
}
