package dev.bulkhead.role.vpn.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.role.QubePrograms;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;
import dev.bulkhead.api.role.RuleFreeClients;

/**
 * The VPN-VM role: its clients' traffic goes through a WireGuard tunnel (the kernel's, else
 * wireguard-go) made from the wg-quick configuration imported for the qube, and nowhere else. The
 * kill switch (filter and routes) is in place before the tunnel exists and does not depend on it:
 * with the tunnel down, gone, or never configured, clients get nothing through, and their DNS goes
 * only to the tunnel's DNS servers.
 */
@Component(service = { QubeRole.class, VpnQubes.class })
public final class VpnRole implements QubeRole, VpnQubes {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** What a VPN-VM runs in its root; named when a command fails for want of one. */
    static final QubePrograms PROGRAMS = QubePrograms.of("nft", "nftables", VpnScripts.IP, "iproute2", VpnScripts.WG, "wireguard-tools");
    /** And wireguard-go, which the tunnel needs when the kernel has no WireGuard. */
    static final QubePrograms TUNNEL_PROGRAMS = QubePrograms.of(VpnScripts.WG, "wireguard-tools", VpnScripts.WIREGUARD_GO, "wireguard-go");

    private final VpnStore store;
    private final VpnLayout layout;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    /** A running VPN-VM and the configuration in force in it ({@code null}: none imported, no tunnel). */
    private record Running(RoleContext context, WgQuickConfig config) {
    }

    @Activate
    public VpnRole(@Reference VpnStore store) {
        this(store, VpnLayout.QUBE);
    }

    VpnRole(VpnStore store, VpnLayout layout) {
        this.store = store;
        this.layout = layout;
    }

    @Override
    public String id() {
        return "vpn";
    }

    @Override
    public String description() {
        return "sends its clients' traffic through a WireGuard tunnel, nothing else (sys-vpn)";
    }

    @Override
    public boolean providesNetwork() {
        return true;
    }

    @Override
    public void started(RoleContext context) {
        String name = context.qube().name();
        synchronized (lockOf(name)) {
            WgQuickConfig config = store.read(name).orElse(null);
            running.put(name, new Running(context, config));
            try {
                load(context, config);
                run(context, VpnScripts.route(), VpnScripts.routing(), "route its clients through the tunnel");
                if (config != null) {
                    up(context, config);
                }
            } catch (RuntimeException e) {
                running.remove(name);
                throw e;
            }
        }
    }

    @Override
    public void stopping(RoleContext context) {
        // the tunnel and the filter go with the qube
        running.remove(context.qube().name());
    }

    @Override
    public void clientAttached(RoleContext context, LinkEndpoint link) {
        reload(context);
        RuleFreeClients.refuseIfRestricted(context, link, "VPN-VM", TIMEOUT);
    }

    @Override
    public void clientDetached(RoleContext context, LinkEndpoint link) {
        reload(context);
    }

    @Override
    public void clientChanged(RoleContext context, LinkEndpoint link) {
        reload(context);
        RuleFreeClients.refuseIfRestricted(context, link, "VPN-VM", TIMEOUT);
    }

    /** A client change also tells the role of a VPN-VM it did not start (one running from before the platform started). */
    private void reload(RoleContext context) {
        String name = context.qube().name();
        synchronized (lockOf(name)) {
            Running r = running.get(name);
            WgQuickConfig config = r != null ? r.config() : store.read(name).orElse(null);
            running.put(name, new Running(context, config));
            load(context, config);
        }
    }

    @Override
    public boolean apply(String name, WgQuickConfig config) {
        synchronized (lockOf(name)) {
            Running r = running.get(name);
            if (r == null) {
                return false;
            }
            running.put(name, new Running(r.context(), config));
            load(r.context(), config);
            up(r.context(), config);
            return true;
        }
    }

    private void load(RoleContext context, WgQuickConfig config) {
        String ruleset = VpnRuleset.render(RuleFreeClients.of(context), config == null ? List.of() : config.ipv4Dns(), layout.tunnel());
        run(context, List.of("nft", "-f", "-"), ruleset, "load the packet filter");
    }

    /** A new tunnel in place of the old one; should any step fail, there is none. */
    private void up(RoleContext context, WgQuickConfig config) {
        run(context, VpnScripts.tunnelUp(layout), config.toWgSetconf(VpnLayout.TABLE), "make the WireGuard tunnel", TUNNEL_PROGRAMS);
        try {
            run(context, List.of(VpnScripts.IP, "-batch", "-"), VpnScripts.tunnelAddresses(layout, config), "address the tunnel");
        } catch (AdminException e) {
            try {
                context.exec(List.of(VpnScripts.IP, "link", "del", layout.tunnel()), new byte[0], TIMEOUT);
            } catch (AdminException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private static void run(RoleContext context, List<String> command, String stdin, String what) {
        run(context, command, stdin, what, PROGRAMS);
    }

    /** Runs a command in the qube; when it fails, what of {@code programs} the qube lacks is what is said, if anything. */
    private static void run(RoleContext context, List<String> command, String stdin, String what, QubePrograms programs) {
        ExecResult r = context.exec(command, stdin.getBytes(StandardCharsets.UTF_8), TIMEOUT);
        if (r.exitStatus() != 0) {
            throw programs.explain(context, new AdminException("cannot " + what + " in '" + context.qube().name() + "': "
                    + r.stderrText().strip().replace('\n', ' ')));
        }
    }

    private Object lockOf(String name) {
        return locks.computeIfAbsent(name, n -> new Object());
    }

    @Override
    public Set<String> running() {
        return Set.copyOf(running.keySet());
    }

    @Override
    public Optional<RoleContext> context(String name) {
        return Optional.ofNullable(running.get(name)).map(Running::context);
    }

    @Override
    public VpnLayout layout() {
        return layout;
    }
}
