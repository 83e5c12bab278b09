package dev.bulkhead.role.netvm.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.UplinkSpec;
import dev.bulkhead.api.role.RoleContext;
import dev.bulkhead.testing.ScratchNetwork;

/**
 * A NetVM as the core shows it to the role: its clients, a shell that runs commands in it, and the
 * backend's uplink calls. Canned answers in fakes, a scratch namespace in their twins. Every
 * command and uplink call is recorded, in order, in {@link #calls}.
 */
final class TestRoleContext implements RoleContext {
    interface Shell {
        ExecResult exec(List<String> command, String stdin);
    }

    /** A command run in the qube ({@code argv}, {@code stdin}), or an uplink call ({@code argv} = attach|detach, interface). */
    record Call(List<String> argv, String stdin) {
    }

    final List<LinkEndpoint> clients = new CopyOnWriteArrayList<>();
    final List<Call> calls = new CopyOnWriteArrayList<>();
    private final Qube qube;
    private final Shell shell;
    Consumer<UplinkSpec> attach = spec -> { };
    Consumer<UplinkSpec> detach = spec -> { };

    TestRoleContext(String name, int qid, Shell shell) {
        this.qube = new Qube(name, qid, QubeClass.AppVM, PowerState.Running, Map.of(), Map.of("role", "netvm"), Set.of());
        this.shell = shell;
    }

    /**
     * Commands run as in the qube's root: busybox applets first (its /bin is busybox), then the
     * host's programs (nft, iproute2 as /sbin/ip).
     */
    static TestRoleContext inNamespace(String name, int qid, String netns) {
        return new TestRoleContext(name, qid, (argv, stdin) -> {
            List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns, "busybox", "sh", "-c", "exec \"$@\"", "sh"));
            String program = argv.get(0);
            command.add(program.startsWith("/bin/") ? program.substring("/bin/".length()) : program);
            command.addAll(argv.subList(1, argv.size()));
            ScratchNetwork.Result r = ScratchNetwork.run(stdin, command.toArray(String[]::new));
            return new ExecResult(r.exitStatus(), r.stdout().getBytes(StandardCharsets.UTF_8), r.stderr().getBytes(StandardCharsets.UTF_8));
        });
    }

    static ExecResult ok() {
        return new ExecResult(0, new byte[0], new byte[0]);
    }

    static ExecResult failed(String stderr) {
        return new ExecResult(2, new byte[0], stderr.getBytes(StandardCharsets.UTF_8));
    }

    /** The rulesets given to {@code nft -f -}, in order. */
    List<String> loaded() {
        return calls.stream().filter(c -> c.argv().equals(List.of("nft", "-f", "-"))).map(Call::stdin).toList();
    }

    String lastLoaded() {
        List<String> all = loaded();
        return all.get(all.size() - 1);
    }

    /** What happened, one word a call: nft, ip, attach, detach. */
    List<String> story() {
        return calls.stream().map(c -> switch (c.argv().get(0)) {
            case "nft" -> "nft";
            case "/sbin/ip" -> "ip";
            default -> c.argv().get(0);
        }).toList();
    }

    @Override
    public Qube qube() {
        return qube;
    }

    @Override
    public ExecResult exec(List<String> command, byte[] stdin, Duration timeout) {
        String input = new String(stdin, StandardCharsets.UTF_8);
        calls.add(new Call(List.copyOf(command), input));
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
        calls.add(new Call(List.of("attach", uplink.hostInterface()), ""));
        attach.accept(uplink);
    }

    @Override
    public void detachUplink(UplinkSpec uplink) {
        calls.add(new Call(List.of("detach", uplink.hostInterface()), ""));
        detach.accept(uplink);
    }
}
