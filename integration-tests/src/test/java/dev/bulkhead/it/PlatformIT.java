package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;

/** The platform comes up whole: every bundle active, one admin service on the lite backend, dom0 there. */
public class PlatformIT extends BulkheadTestSupport {

    @Test
    public void everyBundleIsActive() {
        admin();
        List<String> notActive = Arrays.stream(context.getBundles())
                .filter(b -> b.getState() != Bundle.ACTIVE && b.getHeaders().get("Fragment-Host") == null)
                .map(b -> b.getSymbolicName() + " (state " + b.getState() + ")").toList();
        assertEquals("bundles not ACTIVE", List.of(), notActive);
        for (String name : List.of(API, CORE, BACKEND_LITE, SHELL)) {
            assertEquals(name + " state", Bundle.ACTIVE, installedBundle(name).getState());
        }
    }

    /**
     * The backend and role bundles are also ServiceLoader providers: Aries SPI Fly reads their osgi.serviceloader
     * capability and registers each provider as a service, as the plain-Java embedding finds them on a class path.
     */
    @Test
    public void spiFlyPublishesTheBackendAndRoleProviders() throws Exception {
        Object backend = awaitService("(&(objectClass=dev.bulkhead.api.hypervisor.HypervisorBackendProvider)(serviceloader.mediator=*))");
        assertEquals("lite", ((dev.bulkhead.api.hypervisor.HypervisorBackendProvider) backend).name());
        awaitTrue("SPI Fly to register both role providers", QUBE_TIMEOUT, () -> roleProviders().equals(List.of("firewall", "netvm")),
                () -> roleProviders().toString());
    }

    private List<String> roleProviders() {
        try {
            return context.getServiceReferences(dev.bulkhead.api.role.QubeRoleProvider.class, "(serviceloader.mediator=*)").stream()
                    .map(r -> context.getService(r).id()).sorted().toList();
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    public void exactlyOneAdminServiceOnTheLiteBackend() throws Exception {
        QubeAdmin admin = admin();
        Collection<ServiceReference<QubeAdmin>> refs = context.getServiceReferences(QubeAdmin.class, null);
        assertEquals("QubeAdmin services: " + refs.stream().map(r -> r.getBundle().getSymbolicName())
                .collect(Collectors.joining(", ")), 1, refs.size());
        assertEquals(CORE, refs.iterator().next().getBundle().getSymbolicName());
        awaitTrue("the core to adopt a backend", QUBE_TIMEOUT, () -> !"none".equals(admin().backendName()),
                () -> "backendName() is " + admin().backendName());
        assertEquals("lite", admin.backendName());
    }

    @Test
    public void dom0IsListedFirstAndRunning() {
        List<Qube> qubes = admin().list();
        assertTrue("list() is empty", !qubes.isEmpty());
        Qube dom0 = qubes.get(0);
        assertEquals(QubeAdmin.DOM0, dom0.name());
        assertEquals(0, dom0.qid());
        assertEquals(QubeClass.AdminVM, dom0.klass());
        assertEquals(PowerState.Running, dom0.state());
        assertEquals("qubes named dom0", 1, qubes.stream().filter(q -> q.name().equals(QubeAdmin.DOM0)).count());
        assertEquals(dom0.name(), admin().get(QubeAdmin.DOM0).name());
    }
}
