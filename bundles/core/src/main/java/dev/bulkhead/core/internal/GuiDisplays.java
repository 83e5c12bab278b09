package dev.bulkhead.core.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;
import dev.bulkhead.api.gui.GuiFeature;

/**
 * A qube with the feature {@code gui} gets its own X server when it starts: Xvfb on display {@code :0}
 * inside the qube, listening on no TCP port. Its sockets are the qube's own: the file socket in the
 * qube's private /tmp and the abstract one in the qube's network namespace, so neither dom0 nor another
 * qube reaches that display, and the qube reaches no other. Pixels and input travel only over the GUI
 * channel.
 */
@Component(immediate = true)
public final class GuiDisplays {
    private static final System.Logger LOG = System.getLogger(GuiDisplays.class.getName());
    /** The X server outlives this shell: the qube's init adopts it, and it ends with the qube. */
    static final List<String> START_XVFB = List.of("/bin/sh", "-c",
            "command -v Xvfb >/dev/null || { echo 'Xvfb is missing: use a template with the package xvfb' >&2; exit 127; }; "
                    + "Xvfb :0 -noreset -nolisten tcp </dev/null >/tmp/Xvfb.log 2>&1 &");
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final QubeAdmin admin;
    /**
     * The listener is registered once this component has the admin service: as a component service of its
     * own, it would be one the admin service binds while it is itself being made, a cycle.
     */
    private final ServiceRegistration<QubeEventListener> listener;

    @Activate
    public GuiDisplays(@Reference QubeAdmin admin, BundleContext context) {
        this.admin = admin;
        this.listener = context.registerService(QubeEventListener.class, this::onEvent, null);
    }

    @Deactivate
    void deactivate() {
        listener.unregister();
    }

    void onEvent(QubeEvent event) {
        if (!event.type().equals(QubeEvent.DOMAIN_START)) {
            return;
        }
        String qube = event.qube();
        try {
            if (!GuiFeature.isOn(admin.get(qube))) {
                return;
            }
            ExecResult started = admin.run(qube, START_XVFB, new byte[0], TIMEOUT);
            if (started.exitStatus() != 0) {
                LOG.log(Level.ERROR, "qube " + qube + " has no display: " + started.stderrText().strip());
            }
        } catch (AdminException e) {
            // the qube stopped again, or was removed, before its display could start
            LOG.log(Level.WARNING, "cannot start the display of qube " + qube + ": " + e.getMessage());
        }
    }
}
