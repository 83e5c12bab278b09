package dev.bulkhead.example.dns.internal;

import java.lang.reflect.Proxy;
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
 * A DNS filter qube as the core shows it to the role: its clients and a shell that runs commands in
 * it: canned answers in fakes, a scratch namespace in their twins. Every command is recorded.
 */
final class TestRoleContext implements RoleContext {
    static final LinkEndpoint WORK = new LinkEndpoint(new LinkSpec("work", 4, "sys-dns", "10.137.0.4", "10.137.0.3"), "vif4.0", "eth0");
    static final LinkEndpoint BANK = new LinkEndpoint(new LinkSpec("bank", 5, "sys-dns", "10.137.0.5", "10.137.0.3"), "vif5.0", "eth0");

    interface Shell {
        ExecResult exec(List<String> command, String stdin);
    }

    record Command(List<String> argv, String stdin) {
        /** The action of a dnsmasq control script run ({@code start} or {@code stop}), or {@code null} for other commands. */
        String dnsmasqAction() {
            return argv.size() == 6 && argv.get(2).equals(Dnsmasq.SCRIPT) ? argv.get(4) : null;
        }
    }

    final List<LinkEndpoint> clients = new CopyOnWriteArrayList<>();
    final List<Command> commands = new CopyOnWriteArrayList<>();
    private final Qube qube;
    private final Shell shell;

    TestRoleContext(String name, int qid, Shell shell) {
        this.qube = new Qube(name, qid, QubeClass.AppVM, PowerState.Running, Map.of(), Map.of("role", DnsFilterRole.ID), Set.of());
        this.shell = shell;
    }

    /** The capabilities the lite backend gives a qube that provides network; nothing else, as in the qube. */
    static final String QUBE_CAPABILITIES = "-all,+audit_write,+kill,+net_bind_service,+net_admin,+net_raw";

    /**
     * Commands run as in the qube's root: with its capabilities, busybox applets first (its /bin is
     * busybox), then the host's programs (nft, dnsmasq).
     */
    static TestRoleContext inNamespace(String name, int qid, String netns) {
        return new TestRoleContext(name, qid, (argv, stdin) -> {
            List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns, "setpriv", "--bounding-set=" + QUBE_CAPABILITIES,
                    "--no-new-privs", "busybox", "sh", "-c", "exec \"$@\"", "sh"));
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

    static ExecResult failed(int status, String stderr) {
        return new ExecResult(status, new byte[0], stderr.getBytes(StandardCharsets.UTF_8));
    }

    /** The settings as ConfigAdmin would give them. */
    static DnsFilterConfig config(String block) {
        return (DnsFilterConfig) Proxy.newProxyInstance(DnsFilterConfig.class.getClassLoader(), new Class<?>[] { DnsFilterConfig.class },
                (proxy, method, args) -> method.getName().equals("annotationType") ? DnsFilterConfig.class : block);
    }

    /** The rulesets given to {@code nft -f -}, in order. */
    List<String> loaded() {
        return commands.stream().filter(c -> c.argv().equals(List.of("nft", "-f", "-"))).map(Command::stdin).toList();
    }

    String lastLoaded() {
        List<String> all = loaded();
        return all.get(all.size() - 1);
    }

    /** What the commands were, in order: "nft" for a filter, "start" and "stop" for dnsmasq. */
    List<String> steps() {
        return commands.stream().map(c -> c.dnsmasqAction() != null ? c.dnsmasqAction() : c.argv().get(0)).toList();
    }

    /** The configuration dnsmasq was last started with. */
    String lastDnsmasqConfig() {
        List<Command> starts = commands.stream().filter(c -> "start".equals(c.dnsmasqAction())).toList();
        return starts.get(starts.size() - 1).stdin();
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
        throw new UnsupportedOperationException("a DNS filter qube has no uplink of its own");
    }

    @Override
    public void detachUplink(UplinkSpec uplink) {
        throw new UnsupportedOperationException("a DNS filter qube has no uplink of its own");
    }
}
