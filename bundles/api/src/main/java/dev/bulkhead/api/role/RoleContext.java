package dev.bulkhead.api.role;

import java.time.Duration;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.UplinkSpec;

/** What the core lets a role see and do for one qube that carries it. */
@ProviderType
public interface RoleContext {
    /** The qube carrying the role, as now. */
    Qube qube();

    /** Runs a command inside the qube (through the hypervisor backend) and waits for it. */
    ExecResult exec(List<String> command, byte[] stdin, Duration timeout);

    /** The links of the running clients attached to this qube. */
    List<LinkEndpoint> clients();

    /** A client's firewall rules, in order, as {@link dev.bulkhead.api.QubeAdmin#firewallRules} gives them. */
    List<FirewallRule> firewallRules(String client);

    /** Gives the qube a host network interface as its uplink (a NetVM's network card). */
    void attachUplink(UplinkSpec uplink);

    /** Takes the uplink away again. */
    void detachUplink(UplinkSpec uplink);
}
