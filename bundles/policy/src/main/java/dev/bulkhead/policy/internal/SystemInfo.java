package dev.bulkhead.policy.internal;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;

/** The facts about the qubes a policy evaluation may test, taken once per evaluation. */
final class SystemInfo {
    /**
     * @param klass the class, as {@code @type:} names it
     * @param defaultDispvm the disposable template {@code @dispvm} means for calls from this qube, or null
     */
    record QubeFacts(String name, QubeClass klass, Set<String> tags, boolean templateForDispvms, String defaultDispvm,
            boolean running) {
    }

    private final Map<String, QubeFacts> qubes;

    SystemInfo(Collection<QubeFacts> qubes) {
        Map<String, QubeFacts> m = new LinkedHashMap<>();
        qubes.forEach(q -> m.put(q.name(), q));
        this.qubes = Map.copyOf(m);
    }

    /** From the admin service's snapshots; dom0's {@code @dispvm} is the global {@code default_dispvm}. */
    static SystemInfo of(Collection<Qube> list, String globalDefaultDispvm) {
        return new SystemInfo(list.stream().map(q -> {
            String dvm = q.klass() == QubeClass.AdminVM ? globalDefaultDispvm : q.value(QubeProperty.DEFAULT_DISPVM);
            return new QubeFacts(q.name(), q.klass(), Set.copyOf(q.tags()), "True".equalsIgnoreCase(q.value(QubeProperty.TEMPLATE_FOR_DISPVMS)),
                    dvm == null || dvm.isEmpty() ? null : dvm, q.state() == PowerState.Running || q.klass() == QubeClass.AdminVM);
        }).toList());
    }

    QubeFacts get(String name) {
        return qubes.get(name);
    }

    boolean exists(String name) {
        return qubes.containsKey(name);
    }

    Collection<QubeFacts> all() {
        return qubes.values();
    }
}
