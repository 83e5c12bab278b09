package dev.bulkhead.role.vpn.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.UplinkSpec;
import dev.bulkhead.api.role.RoleContext;
import dev.bulkhead.testing.ScratchNetwork;

/**
 * A VPN-VM as the core shows it to the role: its clients and a shell that runs commands in it:
 * canned answers in fakes, a scratch namespace in their twins. Every command is recorded.
 */
final class TestRoleContext implements RoleContext {
    static final LinkEndpoint WORK = new LinkEndpoint(new LinkSpec("work", 4, "sys-vpn", "10.137.0.4", "10.137.0.3"), "vif4.0", "eth0");
    static final LinkEndpoint BANK = new LinkEndpoint(new LinkSpec("bank", 5, "sys-vpn", "10.137.0.5", "10.137.0.3"), "vif5.0", "eth0");

    interface Shell {
        ExecResult exec(List<String> command, String stdin);
    }

    record Command(List<String> argv, String stdin) {
    }

    final List<LinkEndpoint> clients = new CopyOnWriteArrayList<>();
    final List<Command> commands = new CopyOnWriteArrayList<>();
    private final Qube qube;
    private final Shell shell;

    TestRoleContext(String name, Shell shell) {
        this.qube = new Qube(name, 3, QubeClass.AppVM, PowerState.Running, Map.of(), Map.of("role", "vpn"), Set.of());
        this.shell = shell;
    }

    /**
     * Commands run as in the qube's root: a shell script under busybox's shell, which runs its own
     * applets for bare names (sed, grep, date), then the host's programs (nft, ip, wg, wireguard-go).
     */
    static TestRoleContext inNamespace(String name, String netns) {
        return new TestRoleContext(name, (argv, stdin) -> {
            List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns, "busybox", "sh"));
            if (argv.get(0).equals("/bin/sh")) {
                command.addAll(argv.subList(1, argv.size()));
            } else {
                command.addAll(List.of("-c", "exec \"$@\"", "sh"));
                command.addAll(argv);
            }
            ScratchNetwork.Result r = ScratchNetwork.run(stdin, command.toArray(String[]::new));
            return new ExecResult(r.exitStatus(), r.stdout().getBytes(StandardCharsets.UTF_8), r.stderr().getBytes(StandardCharsets.UTF_8));
        });
    }

    static ExecResult ok(String stdout) {
        return new ExecResult(0, stdout.getBytes(StandardCharsets.UTF_8), new byte[0]);
    }

    static ExecResult failed(int status, String stderr) {
        return new ExecResult(status, new byte[0], stderr.getBytes(StandardCharsets.UTF_8));
    }

    /** The rulesets given to {@code nft -f -}, in order. */
    List<String> loaded() {
        return commands.stream().filter(c -> c.argv().equals(List.of("nft", "-f", "-"))).map(Command::stdin).toList();
    }

    @Override
    public Qube qube() {
        return qube;
    }

    @Override
    public ExecResult exec(List<String> command, byte[] stdin, Duration timeout) {
        String input = new String(stdin, StandardCharsets.UTF_8);
        commands.add(new Command(List.copyOf(command), input));
        return shell.exec(command, input);
    }

    @Override
    public List<LinkEndpoint> clients() {
        return List.copyOf(clients);
    }

    @Override
    public List<FirewallRule> firewallRules(String client) {
        return List.of(FirewallRule.ACCEPT_ALL);
    }

    @Override
    public void attachUplink(UplinkSpec uplink) {
        throw new UnsupportedOperationException("a VPN-VM has no uplink of its own");
    }

    @Override
    public void detachUplink(UplinkSpec uplink) {
        throw new UnsupportedOperationException("a VPN-VM has no uplink of its own");
    }
}
