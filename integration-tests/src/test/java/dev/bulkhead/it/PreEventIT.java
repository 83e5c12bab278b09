package dev.bulkhead.it;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.ServiceRegistration;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.EventVetoedException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubePreEventHandler;
import dev.bulkhead.api.QubeSpec;

/**
 * A pre-event handler registered as an OSGi service refuses a start, a shutdown, a property and a
 * feature on the real platform: the user is told its reason, and nothing on the host or in the
 * state file changes.
 */
public class PreEventIT extends BulkheadTestSupport {
    /** The pre-events refused, by name; the reason is always "closed for maintenance". */
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private ServiceRegistration<QubePreEventHandler> registration;

    @Before
    public void registerHandler() {
        admin().create(new QubeSpec("alpha", QubeClass.AppVM, Label.RED, Map.of()));
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("component.name", "it.maintenance");
        registration = context.registerService(QubePreEventHandler.class,
                e -> refused.contains(e.type()) && e.qube().equals("alpha") ? Optional.of("closed for maintenance") : Optional.empty(), props);
    }

    @After
    public void unregisterHandler() {
        registration.unregister();
    }

    @Test
    public void aRefusedStartReachesTheShellAndStartsNothing() throws Exception {
        refused.add(QubeEvent.DOMAIN_PRE_START);
        List<String> containers = runcContainers();
        byte[] state = stateBytes();
        try {
            shell("qvm:start alpha");
            fail("the start was not refused");
        } catch (Exception e) {
            assertEquals("qvm:start: domain-pre-start of 'alpha' refused by it.maintenance: closed for maintenance", e.getMessage());
            assertTrue(String.valueOf(e.getCause()), e.getCause() instanceof EventVetoedException);
        }
        assertEquals(PowerState.Halted, admin().get("alpha").state());
        assertEquals("no container was started", containers, runcContainers());
        assertEquals(List.of(), netnsOf("alpha"));
        assertArrayEquals(state, stateBytes());
        refused.clear();
        admin().start("alpha");
        assertEquals(PowerState.Running, admin().get("alpha").state());
    }

    @Test
    public void aRefusedShutdownLeavesTheQubeRunning() {
        admin().start("alpha");
        String init = initStartTime("alpha");
        refused.add(QubeEvent.DOMAIN_PRE_SHUTDOWN);
        assertRefused(() -> admin().shutdown("alpha", false, true, null), "domain-pre-shutdown");
        assertEquals(PowerState.Running, admin().get("alpha").state());
        assertEquals("the same init still runs", init, initStartTime("alpha"));
    }

    @Test
    public void aRefusedPropertyOrFeatureChangesNothing() throws Exception {
        refused.add(QubeEvent.PROPERTY_PRE_SET + "memory");
        refused.add(QubeEvent.FEATURE_PRE_SET + "colour");
        byte[] state = stateBytes();
        try {
            shell("qvm:prefs alpha memory 800");
            fail("the property was not refused");
        } catch (Exception e) {
            assertEquals("qvm:prefs: property-pre-set:memory of 'alpha' refused by it.maintenance: closed for maintenance", e.getMessage());
            assertTrue(String.valueOf(e.getCause()), e.getCause() instanceof EventVetoedException);
        }
        assertRefused(() -> admin().setFeature("alpha", "colour", "blue"), "feature-pre-set:colour");
        assertArrayEquals("the state file is unchanged", state, stateBytes());
        assertEquals("400", admin().get("alpha").properties().get("memory").value());
        assertTrue(admin().get("alpha").features().isEmpty());
        admin().setProperty("alpha", "vcpus", "1");
        assertEquals("1", admin().get("alpha").properties().get("vcpus").value());
    }

    private interface Request {
        void run();
    }

    private static void assertRefused(Request request, String event) {
        try {
            request.run();
            fail(event + " was not refused");
        } catch (AdminException e) {
            assertEquals(event + " of 'alpha' refused by it.maintenance: closed for maintenance", e.getMessage());
        }
    }
}
