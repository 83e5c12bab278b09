package dev.bulkhead.role.vpn.internal;

import java.lang.System.Logger.Level;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;

/** A removed qube's WireGuard configuration, private key and all, goes with it. */
@Component
public final class VpnCleanup implements QubeEventListener {
    private static final System.Logger LOG = System.getLogger(VpnCleanup.class.getName());
    private final VpnStore store;

    @Activate
    public VpnCleanup(@Reference VpnStore store) {
        this.store = store;
    }

    @Override
    public void onEvent(QubeEvent event) {
        if (event.type().equals(QubeEvent.DOMAIN_DELETE)) {
            try {
                store.delete(event.qube());
            } catch (AdminException e) {
                LOG.log(Level.ERROR, e.getMessage());
            }
        }
    }
}
