package dev.bulkhead.role.vpn.internal;

import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;

/**
 * Keeps each VPN-VM's tunnel state in its feature {@value #TUNNEL}, for the console and
 * {@code qvm:features}: {@code up} (a handshake recent enough for a session), {@code down}, or
 * {@code unconfigured}. Written only when it changes; a VPN-VM that is not running has none.
 */
@Component(immediate = true, configurationPid = VpnStatusPublisher.PID)
@Designate(ocd = VpnStatusPublisher.Config.class)
public final class VpnStatusPublisher {
    static final String PID = "dev.bulkhead.role.vpn";
    static final String TUNNEL = "vpn.tunnel";
    private static final System.Logger LOG = System.getLogger(VpnStatusPublisher.class.getName());

    @ObjectClassDefinition(name = "Bulkhead VPN-VM role", description = "How the VPN-VMs' tunnels are watched.")
    @interface Config {
        @AttributeDefinition(description = "How often, in seconds, each running VPN-VM's tunnel is read into its feature vpn.tunnel",
                min = "1")
        int status_interval() default 10;
    }

    private final QubeAdmin admin;
    private final VpnQubes qubes;
    private final VpnStore store;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bulkhead-vpn-status");
        t.setDaemon(true);
        return t;
    });

    @Activate
    public VpnStatusPublisher(@Reference QubeAdmin admin, @Reference VpnQubes qubes, @Reference VpnStore store, Config config) {
        this.admin = admin;
        this.qubes = qubes;
        this.store = store;
        timer.scheduleWithFixedDelay(this::publish, 0, Math.max(1, config.status_interval()), TimeUnit.SECONDS);
    }

    /** Without the role, the tunnel is no longer watched: a stale state would mislead, so it goes. */
    @Deactivate
    void stop() {
        timer.shutdownNow();
        try {
            // a round under way finishes first, so that it cannot set what is removed here
            timer.awaitTermination(VpnControl.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            for (Qube qube : admin.list()) {
                if ("vpn".equals(qube.features().get(QubeRole.ROLE_FEATURE)) && qube.features().containsKey(TUNNEL)) {
                    admin.removeFeature(qube.name(), TUNNEL);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot remove the VPN-VMs' tunnel state: " + e);
        }
    }

    /** One round; nothing escapes, so that a failed round does not end the rounds that follow. */
    void publish() {
        try {
            for (Qube qube : admin.list()) {
                if ("vpn".equals(qube.features().get(QubeRole.ROLE_FEATURE))) {
                    publish(qube);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot publish the VPN-VMs' tunnel state: " + e);
        }
    }

    private void publish(Qube qube) {
        try {
            Optional<RoleContext> context = qubes.context(qube.name());
            String wanted = null;
            if (context.isPresent() && qube.state().isActive()) {
                if (store.read(qube.name()).isEmpty()) {
                    wanted = "unconfigured";
                } else {
                    VpnStatus status = VpnControl.query((command, stdin) -> context.get().exec(command, stdin, VpnControl.TIMEOUT),
                            qubes.layout());
                    wanted = status.tunnelUp() ? "up" : "down";
                }
            }
            String now = qube.features().get(TUNNEL);
            if (wanted == null && now != null) {
                admin.removeFeature(qube.name(), TUNNEL);
            } else if (wanted != null && !wanted.equals(now)) {
                admin.setFeature(qube.name(), TUNNEL, wanted);
            }
        } catch (AdminException e) {
            // the qube went away or changed meanwhile: the next round sees it as it is then
            LOG.log(Level.DEBUG, "tunnel state of " + qube.name() + " not published: " + e.getMessage());
        }
    }
}
