package dev.bulkhead.role.netvm.internal;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.role.QubePrograms;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;

/**
 * The NetVM role, as Qubes' sys-net: it owns the uplink, masquerades its clients behind it,
 * forwards the virtual DNS addresses to the configured resolvers, and keeps clients apart. Every
 * change of clients or settings reloads the whole filter in one transaction. Wrong settings give
 * no uplink, with a message naming the setting; nothing falls back to another uplink.
 */
@Component(service = QubeRole.class, configurationPid = NetvmConfig.PID)
@Designate(ocd = NetvmConfig.class)
public final class NetvmRole implements QubeRole {
    static final String ID = "netvm";
    private static final System.Logger LOG = System.getLogger(NetvmRole.class.getName());
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** iproute2 by path: a busybox shell would run its own, smaller ip applet for a bare name. */
    private static final String IP = "/sbin/ip";
    /** What a NetVM runs in its root; named when a command fails for want of one. */
    static final QubePrograms PROGRAMS = QubePrograms.of("nft", "nftables", IP, "iproute2");
    /** Where the settings are, for people. */
    private static final String SETTINGS = "etc/" + NetvmConfig.PID + ".cfg";
    static final String NO_UPLINK = "no uplink: none is configured (uplink.mode=none in " + SETTINGS
            + "), so the qubes behind it reach no network; set one with qvm:setup --uplink";

    /** The settings, or {@code null} when they are wrong, and then {@link #problem} says why. */
    private Uplink settings;
    private String problem;
    /** What {@link #notices} says about the settings in force: written with them, read without the lock. */
    private volatile List<String> notices = List.of();
    /** The running NetVMs and the uplink each has in force ({@code null}: none, the settings were wrong). */
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    /** Orders the changes: settings, starts and stops, and client changes reload filters one at a time. */
    private final Object lock = new Object();

    private record Running(RoleContext context, Uplink uplink) {
    }

    @Activate
    public NetvmRole(NetvmConfig config) {
        configure(config);
    }

    /** New settings reach running NetVMs: the same link only has its filter reloaded, another one replaces it. */
    @Modified
    void modified(NetvmConfig config) {
        synchronized (lock) {
            configure(config);
            for (Map.Entry<String, Running> e : Map.copyOf(running).entrySet()) {
                String name = e.getKey();
                RoleContext context = e.getValue().context();
                Uplink before = e.getValue().uplink();
                try {
                    if (before != null && before.sameLinkAs(settings)) {
                        apply(context, settings);
                        running.put(name, new Running(context, settings));
                        continue;
                    }
                    running.put(name, new Running(context, null));
                    detachQuietly(context, before);
                    running.put(name, new Running(context, setUp(context, settings)));
                } catch (AdminException failure) {
                    LOG.log(Level.ERROR, failure.getMessage());
                }
            }
        }
    }

    private void configure(NetvmConfig config) {
        try {
            settings = Uplink.of(config);
            problem = null;
            notices = settings.enabled() ? List.of() : List.of(NO_UPLINK);
        } catch (AdminException e) {
            settings = null;
            problem = e.getMessage();
            notices = List.of("no uplink: the NetVM settings in " + SETTINGS + " are wrong: " + problem);
            LOG.log(Level.ERROR, "NetVM settings refused, NetVMs get no uplink: " + problem);
        }
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "owns the uplink and NATs its clients (sys-net)";
    }

    @Override
    public boolean providesNetwork() {
        return true;
    }

    /** A NetVM without an uplink is no error, but its clients reach nothing: that is said wherever its qubes are shown. */
    @Override
    public List<String> notices() {
        return notices;
    }

    @Override
    public void started(RoleContext context) {
        synchronized (lock) {
            String name = context.qube().name();
            running.put(name, new Running(context, null));
            try {
                running.put(name, new Running(context, setUp(context, settings)));
            } catch (RuntimeException e) {
                running.remove(name);
                throw e;
            }
        }
    }

    /**
     * A NetVM found running when the platform starts keeps the uplink it has, as whatever is on its
     * other end (a host interface the user set up, say) would not survive being made anew: its filter
     * is loaded again and its address and route are set to what the settings say. One without an
     * uplink is set up as at start.
     */
    @Override
    public void adopted(RoleContext context) {
        synchronized (lock) {
            Uplink uplink = settings;
            String name = context.qube().name();
            boolean hasOne = context.exec(List.of(IP, "link", "show", Uplink.INTERFACE), new byte[0], TIMEOUT).exitStatus() == 0;
            if (uplink == null || !uplink.enabled() || !hasOne) {
                started(context);
                return;
            }
            running.put(name, new Running(context, null));
            try {
                apply(context, uplink);
                ExecResult r = context.exec(List.of(IP, "-batch", "-"), uplink.ipCommands().getBytes(StandardCharsets.UTF_8), TIMEOUT);
                if (r.exitStatus() != 0) {
                    throw PROGRAMS.explain(context, new AdminException("'" + name + "' keeps no uplink: cannot give it uplink.address "
                            + uplink.address() + " and uplink.gateway " + uplink.gateway() + ": " + r.stderrText().strip()));
                }
            } catch (RuntimeException e) {
                running.remove(name);
                throw e;
            }
            running.put(name, new Running(context, uplink));
        }
    }

    /**
     * Loads the filter first, so that the uplink never carries anything the filter has not seen,
     * then attaches and addresses the uplink. Returns the uplink in force.
     *
     * @throws AdminException naming the setting, when there can be no uplink; without one,
     *         nothing is forwarded
     */
    private Uplink setUp(RoleContext context, Uplink uplink) {
        String name = context.qube().name();
        apply(context, uplink);
        if (uplink == null) {
            throw new AdminException("'" + name + "' gets no uplink: the NetVM settings are wrong: " + problem);
        }
        if (!uplink.enabled()) {
            LOG.log(Level.WARNING, "'" + name + "' started with " + NO_UPLINK);
            return uplink;
        }
        try {
            context.attachUplink(uplink.spec());
        } catch (AdminException e) {
            throw new AdminException("'" + name + "' gets no uplink: cannot attach " + uplink.describe() + ": " + e.getMessage(), e);
        }
        ExecResult r = context.exec(List.of(IP, "-batch", "-"), uplink.ipCommands().getBytes(StandardCharsets.UTF_8), TIMEOUT);
        if (r.exitStatus() != 0) {
            detachQuietly(context, uplink);
            throw PROGRAMS.explain(context, new AdminException("'" + name + "' gets no uplink: cannot give it uplink.address "
                    + uplink.address() + " and uplink.gateway " + uplink.gateway() + ": " + r.stderrText().strip()));
        }
        return uplink;
    }

    @Override
    public void stopping(RoleContext context) {
        synchronized (lock) {
            Running r = running.remove(context.qube().name());
            if (r != null) {
                detachQuietly(context, r.uplink());
            }
        }
    }

    private static void detachQuietly(RoleContext context, Uplink uplink) {
        if (uplink != null && uplink.enabled()) {
            try {
                context.detachUplink(uplink.spec());
            } catch (AdminException e) {
                LOG.log(Level.WARNING, "cannot take the uplink of " + context.qube().name() + " away: " + e.getMessage());
            }
        }
    }

    @Override
    public void clientAttached(RoleContext context, LinkEndpoint link) {
        reload(context);
    }

    @Override
    public void clientDetached(RoleContext context, LinkEndpoint link) {
        reload(context);
    }

    @Override
    public void clientChanged(RoleContext context, LinkEndpoint link) {
        // a NetVM applies no per-client rules
    }

    private void reload(RoleContext context) {
        synchronized (lock) {
            Running r = running.get(context.qube().name());
            apply(context, r == null ? null : r.uplink());
        }
    }

    /** Loads the filter for {@code uplink}; without one, clients are kept apart and reach nothing. */
    private static void apply(RoleContext context, Uplink uplink) {
        boolean enabled = uplink != null && uplink.enabled();
        String ruleset = NetvmRuleset.render(enabled ? Uplink.INTERFACE : null, uplink == null ? List.of() : uplink.dns(),
                context.clients());
        ExecResult r = context.exec(List.of("nft", "-f", "-"), ruleset.getBytes(StandardCharsets.UTF_8), TIMEOUT);
        if (r.exitStatus() != 0) {
            throw PROGRAMS.explain(context,
                    new AdminException("cannot load the packet filter of '" + context.qube().name() + "': " + r.stderrText().strip()));
        }
    }
}
