package dev.bulkhead.shell.internal;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.bulkhead.api.NoSuchQubeException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.VolumeInfo;

/** A QubeAdmin holding a few qubes, for the commands that read: list, find, get, stats, volumes, roles. */
public final class FakeAdmin {
    public final List<Qube> qubes = new ArrayList<>();
    public final Map<String, Long> memory = new LinkedHashMap<>();
    public final Map<String, List<VolumeInfo>> volumes = new LinkedHashMap<>();
    public final List<RoleInfo> roles = new ArrayList<>();

    public FakeAdmin qube(String name, int qid, QubeClass klass, PowerState state, Map<String, String> properties,
            Map<String, String> features, Set<String> tags) {
        Map<String, PropertyValue> values = new LinkedHashMap<>();
        properties.forEach((k, v) -> values.put(k, PropertyValue.set(v)));
        qubes.add(new Qube(name, qid, klass, state, values, features, tags));
        return this;
    }

    public QubeAdmin admin() {
        return (QubeAdmin) Proxy.newProxyInstance(QubeAdmin.class.getClassLoader(), new Class<?>[] { QubeAdmin.class }, (proxy, method, args) -> {
            switch (method.getName()) {
                case "list":
                    return List.copyOf(qubes);
                case "find":
                    return qubes.stream().filter(q -> q.name().equals(args[0])).findFirst();
                case "get":
                    return qubes.stream().filter(q -> q.name().equals(args[0])).findFirst()
                            .orElseThrow(() -> new NoSuchQubeException((String) args[0]));
                case "stats":
                    Long bytes = memory.get((String) args[0]);
                    return bytes == null ? Optional.empty() : Optional.of(new QubeStats(0, bytes, java.time.Instant.EPOCH));
                case "volumes":
                    return volumes.getOrDefault((String) args[0], List.of());
                case "roles":
                    return List.copyOf(roles);
                case "stateProblems":
                    return List.of();
                case "globalProperties":
                    return Map.of("default_netvm", PropertyValue.set(""), "default_template", PropertyValue.set("minimal"));
                case "backendName":
                    return "fake";
                case "toString":
                    return "FakeAdmin";
                default:
                    throw new UnsupportedOperationException(method.getName());
            }
        });
    }
}
