package dev.bulkhead.shell.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import dev.bulkhead.api.NoSuchQubeException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.firewall.FirewallRule;

/**
 * A {@link QubeAdmin} that knows a few qubes and one qube's firewall rules, records each lifecycle
 * call, and refuses what a test tells it to; anything else it was not made for fails the test.
 */
final class RecordingAdmin implements InvocationHandler {
    private static final Set<String> LIFECYCLE = Set.of("start", "shutdown", "kill", "pause", "unpause", "restart", "remove");

    final Map<String, PowerState> qubes = new LinkedHashMap<>();
    /** Lifecycle calls as {@code "kill a"}, in order. */
    final List<String> calls = new ArrayList<>();
    /** What a lifecycle call on the named qube throws. */
    final Map<String, RuntimeException> refusals = new LinkedHashMap<>();
    List<FirewallRule> rules = List.of(FirewallRule.ACCEPT_ALL);
    /** What a firewall edit throws before it saves anything; none when {@code null}. */
    RuntimeException editRefusal;
    /** What the netvm's role finds wrong with the rules, asked after each firewall command. */
    Supplier<List<String>> firewallProblems = List::of;
    /** Each qube's netvm; none when absent. */
    final Map<String, String> netvms = new LinkedHashMap<>();
    /** Each qube's role feature; none when absent. */
    final Map<String, String> roleOf = new LinkedHashMap<>();
    /** The roles present. */
    List<RoleInfo> roles = List.of();

    RecordingAdmin(String... names) {
        for (String name : names) {
            qubes.put(name, PowerState.Running);
        }
    }

    QubeAdmin proxy() {
        return (QubeAdmin) Proxy.newProxyInstance(QubeAdmin.class.getClassLoader(), new Class<?>[] {QubeAdmin.class}, this);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object invoke(Object proxy, Method method, Object[] args) {
        String op = method.getName();
        if (method.getDeclaringClass() == Object.class) {
            return switch (op) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                default -> "RecordingAdmin" + qubes.keySet();
            };
        }
        if (LIFECYCLE.contains(op)) {
            String name = (String) args[0];
            calls.add(op + " " + name);
            require(name);
            RuntimeException refusal = refusals.get(name);
            if (refusal != null) {
                throw refusal;
            }
            return null;
        }
        return switch (op) {
            case "get" -> qube(require((String) args[0]));
            case "find" -> qubes.containsKey((String) args[0]) ? Optional.of(qube((String) args[0])) : Optional.empty();
            case "roles" -> roles;
            case "list" -> qubes.keySet().stream().map(this::qube).toList();
            case "stateProblems" -> List.of();
            case "firewallRules" -> {
                require((String) args[0]);
                yield rules;
            }
            case "editFirewallRules" -> {
                require((String) args[0]);
                List<FirewallRule> edited = List.copyOf(((UnaryOperator<List<FirewallRule>>) args[1]).apply(rules));
                if (editRefusal != null) {
                    throw editRefusal;
                }
                rules = edited;
                yield null;
            }
            case "setFirewallRules" -> {
                require((String) args[0]);
                rules = List.copyOf((List<FirewallRule>) args[1]);
                yield null;
            }
            case "firewallProblems" -> {
                require((String) args[0]);
                yield firewallProblems.get();
            }
            case "create" -> {
                dev.bulkhead.api.QubeSpec spec = (dev.bulkhead.api.QubeSpec) args[0];
                calls.add("create " + spec.name() + " " + spec.klass() + " " + new java.util.TreeMap<>(spec.properties()));
                qubes.put(spec.name(), PowerState.Halted);
                yield null;
            }
            case "importVolume" -> {
                calls.add("importVolume " + args[0] + ":" + args[1] + " " + args[2]);
                RuntimeException refusal = refusals.get("importVolume");
                if (refusal != null) {
                    throw refusal;
                }
                yield null;
            }
            default -> throw new UnsupportedOperationException("RecordingAdmin has no " + op);
        };
    }

    private String require(String name) {
        if (!qubes.containsKey(name)) {
            throw new NoSuchQubeException(name);
        }
        return name;
    }

    private Qube qube(String name) {
        Map<String, PropertyValue> properties = new LinkedHashMap<>(Map.of("label", PropertyValue.set("red"), "template",
                PropertyValue.set("minimal")));
        if (netvms.containsKey(name)) {
            properties.put("netvm", PropertyValue.set(netvms.get(name)));
        }
        Map<String, String> features = roleOf.containsKey(name) ? Map.of("role", roleOf.get(name)) : Map.of();
        return new Qube(name, 1, QubeClass.AppVM, qubes.get(name), properties, features, Set.of());
    }
}
