package dev.bulkhead.core.internal;

import java.time.Duration;
import java.util.List;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.UplinkSpec;
import dev.bulkhead.api.role.RoleContext;

/** What a role sees of the qube that carries it: the qube, commands in it, its clients and its uplinks. */
final class CoreRoleContext implements RoleContext {
    private final String name;
    private final QubeAdmin admin;
    private final RuntimeState state;
    private final HostWork hostWork;

    CoreRoleContext(String name, QubeAdmin admin, RuntimeState state, HostWork hostWork) {
        this.name = name;
        this.admin = admin;
        this.state = state;
        this.hostWork = hostWork;
    }

    @Override
    public Qube qube() {
        return admin.get(name);
    }

    @Override
    public ExecResult exec(List<String> command, byte[] stdin, Duration timeout) {
        // a role configures its qube with commands: none may be cut off halfway
        return hostWork.call(() -> state.backend().exec(name, command, stdin, timeout));
    }

    @Override
    public List<LinkEndpoint> clients() {
        return state.clientLinks(name);
    }

    @Override
    public List<FirewallRule> firewallRules(String client) {
        return admin.firewallRules(client);
    }

    @Override
    public void attachUplink(UplinkSpec uplink) {
        hostWork.run(() -> state.abilities().uplinks("cannot give '" + name + "' an uplink").attachUplink(name, uplink));
    }

    @Override
    public void detachUplink(UplinkSpec uplink) {
        hostWork.run(() -> state.abilities().uplinks("cannot take the uplink of '" + name + "' away").detachUplink(name, uplink));
    }
}
