package dev.bulkhead.role.tor.internal;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
import dev.bulkhead.api.role.RuleFreeClients;

/**
 * The TorVM role, as the Whonix gateway: every client's TCP goes into Tor through tor's TransPort
 * and its DNS through the DNSPort, with circuits of its own; nothing else from a client goes
 * anywhere, and the TorVM sends out only what tor sends. The filter is loaded before tor starts and
 * does not depend on tor: when tor dies, its clients' connections are refused and nothing leaves.
 */
@Component(service = { QubeRole.class, TorQubes.class }, configurationPid = TorConfig.PID)
@Designate(ocd = TorConfig.class)
public final class TorRole implements QubeRole, TorQubes {
    private static final System.Logger LOG = System.getLogger(TorRole.class.getName());
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final TorLayout layout;
    private final QubePrograms programs;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, RoleContext> running = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    /** The bridges as configured, or {@code null} when the setting is wrong, and then {@link #problem} says why. */
    private volatile List<String> bridges;
    private volatile String problem;

    @Activate
    public TorRole(TorConfig config) {
        this(config, TorLayout.QUBE);
    }

    TorRole(TorConfig config, TorLayout layout) {
        this.layout = layout;
        this.programs = layout.programs();
        configure(config);
    }

    /** New bridges apply from the next start of each TorVM. */
    @Modified
    void configure(TorConfig config) {
        try {
            bridges = Bridges.parse(config.bridges());
            problem = null;
        } catch (AdminException e) {
            bridges = null;
            problem = e.getMessage();
            LOG.log(Level.ERROR, "TorVM settings refused, TorVMs will not start: " + problem);
        }
    }

    @Override
    public String id() {
        return "tor";
    }

    @Override
    public String description() {
        return "sends its clients' TCP and DNS through Tor, nothing else (sys-tor)";
    }

    @Override
    public boolean providesNetwork() {
        return true;
    }

    @Override
    public void started(RoleContext context) {
        String name = context.qube().name();
        List<String> torBridges = bridges;
        if (torBridges == null) {
            throw new AdminException("'" + name + "' cannot run tor: the TorVM settings are wrong: " + problem);
        }
        synchronized (lockOf(name)) {
            running.put(name, context);
            try {
                load(context);
                String password = ControlPassword.generate(random);
                String torrc = Torrc.render(layout, torBridges, ControlPassword.hash(password, random));
                ExecResult r = context.exec(TorScripts.start(layout), (password + "\n" + torrc).getBytes(StandardCharsets.UTF_8),
                        TIMEOUT);
                if (r.exitStatus() != 0) {
                    throw programs.explain(context,
                            new AdminException("cannot start tor in '" + name + "': " + r.stderrText().strip().replace('\n', ' ')));
                }
            } catch (RuntimeException e) {
                running.remove(name);
                throw e;
            }
        }
    }

    @Override
    public void stopping(RoleContext context) {
        // tor and the filter go with the qube
        running.remove(context.qube().name());
    }

    @Override
    public void clientAttached(RoleContext context, LinkEndpoint link) {
        reload(context);
        RuleFreeClients.refuseIfRestricted(context, link, "TorVM", TIMEOUT);
    }

    @Override
    public void clientDetached(RoleContext context, LinkEndpoint link) {
        reload(context);
    }

    @Override
    public void clientChanged(RoleContext context, LinkEndpoint link) {
        reload(context);
        RuleFreeClients.refuseIfRestricted(context, link, "TorVM", TIMEOUT);
    }

    /** A client change also tells the role of a TorVM it did not start (one running from before the platform started). */
    private void reload(RoleContext context) {
        String name = context.qube().name();
        synchronized (lockOf(name)) {
            running.put(name, context);
            load(context);
        }
    }

    private void load(RoleContext context) {
        String ruleset = TorRuleset.render(RuleFreeClients.of(context), layout.user());
        ExecResult r = context.exec(List.of("nft", "-f", "-"), ruleset.getBytes(StandardCharsets.UTF_8), TIMEOUT);
        if (r.exitStatus() != 0) {
            throw programs.explain(context,
                    new AdminException("cannot load the packet filter of '" + context.qube().name() + "': " + r.stderrText().strip()));
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
        return Optional.ofNullable(running.get(name));
    }

    @Override
    public TorLayout layout() {
        return layout;
    }
}
