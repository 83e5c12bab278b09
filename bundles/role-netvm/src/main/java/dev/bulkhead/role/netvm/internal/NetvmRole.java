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
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;

/**
 * The NetVM role, as Qubes' sys-net: it owns the uplink, masquerades its clients behind it,
 * forwards the virtual DNS addresses to the configured resolvers, and keeps clients apart. Every
 * change of clients or settings reloads the whole filter in one transaction.
 */
@Component(service = QubeRole.class, configurationPid = NetvmConfig.PID)
@Designate(ocd = NetvmConfig.class)
public final class NetvmRole implements QubeRole {
    private static final System.Logger LOG = System.getLogger(NetvmRole.class.getName());
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final byte[] NO_INPUT = new byte[0];
    /** iproute2 by path: a busybox shell would run its own, smaller ip applet for a bare name. */
    private static final String IP = "/sbin/ip";

    private volatile Uplink settings;
    private volatile String problem;
    /** The running NetVMs, to re-apply settings that change. */
    private final Map<String, RoleContext> running = new ConcurrentHashMap<>();

    @Activate
    public NetvmRole(NetvmConfig config) {
        configure(config);
    }

    @Modified
    void modified(NetvmConfig config) {
        Uplink before = settings;
        configure(config);
        for (RoleContext ctx : running.values()) {
            try {
                detachUplink(ctx, before);
                setUp(ctx);
            } catch (AdminException e) {
                LOG.log(Level.ERROR, "NetVM " + ctx.qube().name() + " has no uplink: " + e.getMessage());
            }
        }
    }

    private void configure(NetvmConfig config) {
        try {
            settings = Uplink.of(config);
            problem = null;
        } catch (AdminException e) {
            settings = null;
            problem = e.getMessage();
            LOG.log(Level.ERROR, "NetVM settings refused, NetVMs get no uplink: " + problem);
        }
    }

    @Override
    public String id() {
        return "netvm";
    }

    @Override
    public String description() {
        return "owns the uplink and NATs its clients (sys-net)";
    }

    @Override
    public boolean providesNetwork() {
        return true;
    }

    @Override
    public void started(RoleContext context) {
        running.put(context.qube().name(), context);
        setUp(context);
    }

    /** Loads the filter first, so that the uplink never carries anything the filter has not seen. */
    private void setUp(RoleContext context) {
        Uplink uplink = settings;
        apply(context, uplink);
        if (uplink == null) {
            throw new AdminException("NetVM settings are wrong: " + problem);
        }
        if (uplink.enabled()) {
            context.attachUplink(uplink.spec());
            // no IPv6 link-local address: the NetVM routes IPv4 only and sends nothing of its own upstream
            exec(context, IP + " link set " + Uplink.INTERFACE + " addrgenmode none"
                    + " && " + IP + " address add " + uplink.address() + " dev " + Uplink.INTERFACE
                    + " && " + IP + " link set " + Uplink.INTERFACE + " up"
                    + " && " + IP + " route add default via " + uplink.gateway() + " dev " + Uplink.INTERFACE);
        }
    }

    @Override
    public void stopping(RoleContext context) {
        running.remove(context.qube().name());
        detachUplink(context, settings);
    }

    private static void detachUplink(RoleContext context, Uplink uplink) {
        if (uplink != null && uplink.enabled()) {
            context.detachUplink(uplink.spec());
        }
    }

    @Override
    public void clientAttached(RoleContext context, LinkEndpoint link) {
        apply(context, settings);
    }

    @Override
    public void clientDetached(RoleContext context, LinkEndpoint link) {
        apply(context, settings);
    }

    @Override
    public void clientChanged(RoleContext context, LinkEndpoint link) {
        // a NetVM applies no per-client rules
    }

    /** With wrong settings the filter still loads: clients are kept apart and reach nothing. */
    private static void apply(RoleContext context, Uplink uplink) {
        boolean enabled = uplink != null && uplink.enabled();
        String ruleset = NetvmRuleset.render(enabled ? Uplink.INTERFACE : null, uplink == null ? List.of() : uplink.dns(),
                context.clients());
        ExecResult r = context.exec(List.of("nft", "-f", "-"), ruleset.getBytes(StandardCharsets.UTF_8), TIMEOUT);
        if (r.exitStatus() != 0) {
            throw new AdminException("cannot load the packet filter of " + context.qube().name() + ": " + r.stderrText().strip());
        }
    }

    private static void exec(RoleContext context, String script) {
        ExecResult r = context.exec(List.of("/bin/sh", "-c", script), NO_INPUT, TIMEOUT);
        if (r.exitStatus() != 0) {
            throw new AdminException("cannot set up the uplink of " + context.qube().name() + ": " + r.stderrText().strip());
        }
    }
}
