package dev.bulkhead.role.tor.internal;

import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;

/**
 * Keeps each TorVM's tor status in its features, for the console and {@code qvm:features}:
 * {@value #STATE} ({@code running} or {@code down}), {@value #BOOTSTRAP} (percent) and
 * {@value #CIRCUITS} (built circuits). A feature is written only when its value changes; a TorVM
 * that is not running has none of them.
 */
@Component(immediate = true, configurationPid = TorConfig.PID)
public final class TorStatusPublisher {
    static final String STATE = "tor.state";
    static final String BOOTSTRAP = "tor.bootstrap";
    static final String CIRCUITS = "tor.circuits";
    private static final System.Logger LOG = System.getLogger(TorStatusPublisher.class.getName());

    private final QubeAdmin admin;
    private final TorQubes qubes;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bulkhead-tor-status");
        t.setDaemon(true);
        return t;
    });
    private ScheduledFuture<?> polling;

    @Activate
    public TorStatusPublisher(@Reference QubeAdmin admin, @Reference TorQubes qubes, TorConfig config) {
        this.admin = admin;
        this.qubes = qubes;
        schedule(config);
    }

    @Modified
    synchronized void schedule(TorConfig config) {
        if (polling != null) {
            polling.cancel(false);
        }
        polling = timer.scheduleWithFixedDelay(this::publish, 0, Math.max(1, config.status_interval()), TimeUnit.SECONDS);
    }

    /** Without the role, tor's status is no longer watched: a stale one would mislead, so it goes. */
    @Deactivate
    void stop() {
        timer.shutdownNow();
        try {
            // a round under way finishes first, so that it cannot set what is removed here
            timer.awaitTermination(TorControl.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            for (Qube qube : admin.list()) {
                if ("tor".equals(qube.features().get(QubeRole.ROLE_FEATURE))) {
                    update(qube, Map.of());
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot remove the TorVMs' status: " + e);
        }
    }

    /**
     * One round: every qube that carries the role gets its features set to what its tor says now.
     * Nothing escapes: a failed round must not end the rounds that follow.
     */
    void publish() {
        try {
            publishAll();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot publish the TorVMs' status: " + e);
        }
    }

    private void publishAll() {
        for (Qube qube : admin.list()) {
            if (!"tor".equals(qube.features().get(QubeRole.ROLE_FEATURE))) {
                continue;
            }
            try {
                Optional<RoleContext> context = qubes.context(qube.name());
                Map<String, String> wanted = new LinkedHashMap<>();
                if (context.isPresent() && qube.state().isActive()) {
                    TorStatus status = TorControl.query((command, stdin) -> context.get().exec(command, stdin, TorControl.TIMEOUT),
                            qubes.layout());
                    wanted.put(STATE, status.answered() ? "running" : "down");
                    if (status.answered()) {
                        wanted.put(BOOTSTRAP, Integer.toString(status.progress()));
                        wanted.put(CIRCUITS, Long.toString(status.built()));
                    }
                }
                update(qube, wanted);
            } catch (AdminException e) {
                // the qube went away or changed meanwhile: the next round sees it as it is then
                LOG.log(Level.DEBUG, "tor status of " + qube.name() + " not published: " + e.getMessage());
            }
        }
    }

    /** {@value #STATE} goes last: whoever sees it set finds the others set with it. */
    private void update(Qube qube, Map<String, String> wanted) {
        for (String key : new String[] { BOOTSTRAP, CIRCUITS, STATE }) {
            String now = qube.features().get(key);
            String value = wanted.get(key);
            if (value == null && now != null) {
                admin.removeFeature(qube.name(), key);
            } else if (value != null && !value.equals(now)) {
                admin.setFeature(qube.name(), key, value);
            }
        }
    }
}
