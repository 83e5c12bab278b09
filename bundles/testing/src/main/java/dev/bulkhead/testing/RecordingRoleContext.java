package dev.bulkhead.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.UplinkSpec;
import dev.bulkhead.api.role.QubeRole;
import dev.bulkhead.api.role.RoleContext;

/**
 * A running qube as the core shows it to a role: its clients, their firewall rules, a shell that
 * runs commands in it (canned answers in unit tests, a scratch namespace in their twins), and the
 * backend's uplink calls. Every command and uplink call is recorded, in order, in {@link #commands}.
 */
public class RecordingRoleContext implements RoleContext {
    /** Answers the commands run in the qube. */
    @FunctionalInterface
    public interface Shell {
        ExecResult exec(List<String> command, String stdin);

        /**
         * Runs commands as in the root of a qube whose /bin is busybox, inside a namespace: a script
         * given to /bin/sh runs under busybox's shell, any other program by its name: busybox's
         * applets first, then the host's programs (nft, iproute2 and what the role's qube would have).
         *
         * @param launcher what busybox runs under, such as setpriv with a qube's capabilities; nothing for plain root
         */
        static Shell inNamespace(String netns, String... launcher) {
            return (argv, stdin) -> {
                List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns));
                command.addAll(List.of(launcher));
                command.addAll(List.of("busybox", "sh"));
                String program = argv.get(0);
                if (program.equals("/bin/sh")) {
                    command.addAll(argv.subList(1, argv.size()));
                } else {
                    command.addAll(List.of("-c", "exec \"$@\"", "sh"));
                    command.add(program.startsWith("/bin/") ? program.substring("/bin/".length()) : program);
                    command.addAll(argv.subList(1, argv.size()));
                }
                ScratchNetwork.Result r = ScratchNetwork.run(stdin, command.toArray(String[]::new));
                return new ExecResult(r.exitStatus(), r.stdout().getBytes(StandardCharsets.UTF_8), r.stderr().getBytes(StandardCharsets.UTF_8));
            };
        }
    }

    /** A command run in the qube ({@code argv}, {@code stdin}), or an uplink call ({@code argv} = attach|detach, host interface). */
    public record Command(List<String> argv, String stdin) {
    }

    /** The links of the running clients, as the test attaches and detaches them. */
    public final List<LinkEndpoint> clients = new CopyOnWriteArrayList<>();
    /** Each client's firewall rules by name; a client without an entry has the core's default, accept all. */
    public final Map<String, List<FirewallRule>> rules = new ConcurrentHashMap<>();
    public final List<Command> commands = new CopyOnWriteArrayList<>();
    private final Qube qube;
    private final Shell shell;
    private volatile Consumer<UplinkSpec> attach;
    private volatile Consumer<UplinkSpec> detach;

    /** @param role the qube's {@code role} feature, as the core sets it */
    public RecordingRoleContext(String name, int qid, String role, Shell shell) {
        this(name, qid, role, null, shell);
    }

    /**
     * An AppVM of {@code template}.
     *
     * @param role the qube's {@code role} feature, as the core sets it
     * @since 1.2
     */
    public RecordingRoleContext(String name, int qid, String role, String template, Shell shell) {
        this.qube = new Qube(name, qid, QubeClass.AppVM, PowerState.Running,
                template == null ? Map.of() : Map.of(QubeProperty.TEMPLATE.id(), PropertyValue.set(template)),
                Map.of(QubeRole.ROLE_FEATURE, role), Set.of());
        this.shell = shell;
        Consumer<UplinkSpec> none = spec -> {
            throw new UnsupportedOperationException("'" + name + "' (" + role + ") has no uplink of its own");
        };
        this.attach = none;
        this.detach = none;
    }

    public static ExecResult ok() {
        return ok("");
    }

    public static ExecResult ok(String stdout) {
        return new ExecResult(0, stdout.getBytes(StandardCharsets.UTF_8), new byte[0]);
    }

    public static ExecResult failed(int status, String stderr) {
        return new ExecResult(status, new byte[0], stderr.getBytes(StandardCharsets.UTF_8));
    }

    /** What the backend does when the role attaches an uplink; until this is set, the qube may have none. */
    public void onAttach(Consumer<UplinkSpec> backend) {
        attach = backend;
    }

    /** What the backend does when the role takes its uplink away. */
    public void onDetach(Consumer<UplinkSpec> backend) {
        detach = backend;
    }

    /** Attaches a client as the core does: its link joins the clients, then the role is told. */
    public void attachClient(QubeRole role, LinkEndpoint link) {
        clients.add(link);
        role.clientAttached(this, link);
    }

    /** Detaches a client as the core does: its link leaves the clients, then the role is told. */
    public void detachClient(QubeRole role, LinkEndpoint link) {
        clients.remove(link);
        role.clientDetached(this, link);
    }

    /** The rulesets given to {@code nft -f -}, in order. */
    public List<String> loaded() {
        return commands.stream().filter(c -> c.argv().equals(List.of("nft", "-f", "-"))).map(Command::stdin).toList();
    }

    public String lastLoaded() {
        List<String> all = loaded();
        return all.get(all.size() - 1);
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
        return rules.getOrDefault(client, List.of(FirewallRule.ACCEPT_ALL));
    }

    @Override
    public void attachUplink(UplinkSpec uplink) {
        commands.add(new Command(List.of("attach", uplink.hostInterface()), ""));
        attach.accept(uplink);
    }

    @Override
    public void detachUplink(UplinkSpec uplink) {
        commands.add(new Command(List.of("detach", uplink.hostInterface()), ""));
        detach.accept(uplink);
    }
}
