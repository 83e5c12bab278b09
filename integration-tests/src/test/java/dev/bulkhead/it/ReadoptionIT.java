package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.Test;
import org.osgi.framework.BundleException;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;

/**
 * A qube keeps running while the platform restarts, and the platform takes it back as it is:
 * the same init process, the same /tmp, one container and one network namespace.
 */
public class ReadoptionIT extends BulkheadTestSupport {

    @Test
    public void runningQubeSurvivesACoreRestart() throws BundleException {
        assertReadoptedAfter("keep", () -> restartBundles(CORE));
    }

    @Test
    public void runningQubeSurvivesACoreAndBackendRestart() throws BundleException {
        assertReadoptedAfter("stay", () -> restartBundles(CORE, BACKEND_LITE));
    }

    private interface Restart {
        void run() throws BundleException;
    }

    private void assertReadoptedAfter(String qube, Restart restart) throws BundleException {
        admin().create(new QubeSpec(qube, QubeClass.AppVM, Label.GREEN, Map.of()));
        admin().start(qube);
        String token = UUID.randomUUID().toString();
        runOk(qube, "sh", "-c", "echo " + token + " > /tmp/it-token");
        String initStart = initStartTime(qube);

        restart.run();

        awaitLiteBackend();
        assertEquals(qube + " after the restart", PowerState.Running, admin().get(qube).state());
        assertEquals("/tmp/it-token: the qube was not restarted", token, runOk(qube, "cat", "/tmp/it-token").strip());
        assertEquals("start time of pid 1 inside " + qube, initStart, initStartTime(qube));
        assertEquals("runc containers", List.of(qube), runcContainers());
        assertEquals("this platform's network namespaces", netnsOf(qube), ownNetns());
        assertEquals("network namespaces of " + qube, 1, netnsOf(qube).size());
    }
}
