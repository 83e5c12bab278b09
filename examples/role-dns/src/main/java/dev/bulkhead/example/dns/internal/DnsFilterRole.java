package dev.bulkhead.example.dns.internal;

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
 * The DNS filter role ({@code sys-dns}), a network role written against the API alone: its qube sits
 * between AppVMs and their FirewallVM, forwards their traffic upstream, and answers their DNS itself
 * with a dnsmasq that gives NXDOMAIN for blocked names and asks its own netvm for the rest. It fails
 * closed: with a wrong block list, or with dnsmasq gone, clients get no DNS at all, never the
 * upstream resolver unfiltered.
 */
@Component(service = QubeRole.class, configurationPid = DnsFilterConfig.PID)
@Designate(ocd = DnsFilterConfig.class)
public final class DnsFilterRole implements QubeRole {
    static final String ID = "dns-filter";
    private static final System.Logger LOG = System.getLogger(DnsFilterRole.class.getName());
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Dnsmasq dnsmasq;
    /** The running filter qubes by name. */
    private final Map<String, RoleContext> running = new ConcurrentHashMap<>();
    /** Orders list changes, starts and client changes. */
    private final Object lock = new Object();
    /** The list in force, or {@code null} when the configured one is wrong, and then {@link #problem} says why. */
    private BlockList blocked;
    private String problem;

    @Activate
    public DnsFilterRole(DnsFilterConfig config) {
        this(config, Dnsmasq.DIRECTORY);
    }

    /** @param directory where dnsmasq keeps its files inside the qube */
    DnsFilterRole(DnsFilterConfig config, String directory) {
        dnsmasq = new Dnsmasq(directory);
        configure(config);
    }

    /** A new list reaches every running filter qube at once; a wrong one leaves their clients without DNS. */
    @Modified
    void modified(DnsFilterConfig config) {
        synchronized (lock) {
            configure(config);
            for (RoleContext context : running.values()) {
                try {
                    answer(context);
                } catch (AdminException e) {
                    LOG.log(Level.ERROR, e.getMessage());
                }
            }
        }
    }

    private void configure(DnsFilterConfig config) {
        try {
            blocked = BlockList.parse(config.block());
            problem = null;
        } catch (AdminException e) {
            blocked = null;
            problem = e.getMessage();
            LOG.log(Level.ERROR, "DNS filter settings refused, its clients get no DNS: " + problem);
        }
    }

    /** Why the configured list is not in force, or {@code null} when it is. */
    String problem() {
        synchronized (lock) {
            return problem;
        }
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "answers its clients' DNS, NXDOMAIN for blocked names (sys-dns; an example third-party role)";
    }

    @Override
    public boolean providesNetwork() {
        return true;
    }

    /** The filter goes in before dnsmasq starts, so no client query ever passes by it. */
    @Override
    public void started(RoleContext context) {
        synchronized (lock) {
            String name = context.qube().name();
            loadFilter(context);
            running.put(name, context);
            try {
                answer(context);
            } catch (RuntimeException e) {
                running.remove(name);
                throw e;
            }
        }
    }

    /** Starts dnsmasq with the list in force, or stops it when there is none. */
    private void answer(RoleContext context) {
        if (blocked == null) {
            dnsmasq.stop(context);
            throw new AdminException("'" + context.qube().name() + "' answers no DNS: " + problem);
        }
        dnsmasq.start(context, blocked);
    }

    @Override
    public void stopping(RoleContext context) {
        // dnsmasq and the filter end with the qube
        synchronized (lock) {
            running.remove(context.qube().name());
        }
    }

    @Override
    public void clientAttached(RoleContext context, LinkEndpoint link) {
        synchronized (lock) {
            loadFilter(context);
        }
    }

    @Override
    public void clientDetached(RoleContext context, LinkEndpoint link) {
        synchronized (lock) {
            loadFilter(context);
        }
    }

    @Override
    public void clientChanged(RoleContext context, LinkEndpoint link) {
        // the same list for every client: nothing of a client's own decides its DNS here
    }

    private static void loadFilter(RoleContext context) {
        ExecResult r = context.exec(List.of("nft", "-f", "-"),
                DnsFilterRuleset.render(context.clients()).getBytes(StandardCharsets.UTF_8), TIMEOUT);
        if (r.exitStatus() != 0) {
            throw Dnsmasq.PROGRAMS.explain(context,
                    new AdminException("cannot load the packet filter of '" + context.qube().name() + "': " + r.stderrText().strip()));
        }
    }
}
