package dev.bulkhead.role.vpn.internal;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;

/** The way the shell commands reach a VPN-VM. */
final class VpnShell {
    private VpnShell() {
    }

    /**
     * @throws InvalidValueException when there is no such qube or it does not carry the role
     */
    static Qube vpnQube(QubeAdmin admin, String name) {
        Qube qube = admin.get(name);
        if (!"vpn".equals(qube.features().get(QubeRole.ROLE_FEATURE))) {
            throw new InvalidValueException("qube", name, "a qube with feature role=vpn");
        }
        return qube;
    }

    /**
     * The role's own way into the qube; for a VPN-VM running from before the platform started, the
     * admin service's, once the qube is known to run and to carry the role.
     */
    static VpnControl.Shell of(QubeAdmin admin, VpnQubes qubes, String name) {
        RoleContext context = qubes.context(name).orElse(null);
        if (context != null) {
            return (command, stdin) -> context.exec(command, stdin, VpnControl.TIMEOUT);
        }
        Qube qube = vpnQube(admin, name);
        if (qube.state() != PowerState.Running) {
            throw new InvalidStateException("'" + name + "' is " + qube.state() + "; its tunnel runs only while it runs");
        }
        return (command, stdin) -> admin.run(name, command, stdin, VpnControl.TIMEOUT);
    }
}
