package dev.bulkhead.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeNames;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.hypervisor.HypervisorBackend;

/** Where qubes are created, cloned and removed, as {@code qvm-create}, {@code qvm-clone} and {@code qvm-remove} do. */
final class QubeCreation {
    private final QubeRegistry registry;
    private final RuntimeState state;
    private final QubeVolumes volumes;
    private final ReentrantLock lifecycle;
    private final HostWork hostWork;
    private final EventDispatcher events;

    QubeCreation(QubeRegistry registry, RuntimeState state, QubeVolumes volumes, ReentrantLock lifecycle, HostWork hostWork,
            EventDispatcher events) {
        this.registry = registry;
        this.state = state;
        this.volumes = volumes;
        this.lifecycle = lifecycle;
        this.hostWork = hostWork;
        this.events = events;
    }

    /** @return the new qube's name */
    String create(QubeSpec spec) {
        String name = QubeNames.validate(spec.name());
        if (spec.klass() == QubeClass.AdminVM) {
            throw new InvalidValueException("class", "AdminVM", "there is only one AdminVM, dom0");
        }
        registry.add(name, m -> {
            if (m.qubes.containsKey(name)) {
                throw new InvalidValueException("name", name, "a qube of that name already exists");
            }
            QubeRecord q = new QubeRecord(name, QubeRegistry.freeQid(m), spec.klass(), Map.of(QubeProperty.LABEL.id(), spec.label().id()),
                    Map.of(), List.of());
            m.qubes.put(name, q);
            for (Map.Entry<String, String> e : spec.properties().entrySet()) {
                QubeProperty p = QubeProperty.parse(e.getKey());
                q.properties.put(p.id(), PropertyRules.parse(m, q, p, e.getValue()));
            }
            if (spec.klass() == QubeClass.AppVM && !q.properties.containsKey(QubeProperty.TEMPLATE.id())) {
                String template = m.global.getOrDefault(PropertyRules.DEFAULT_TEMPLATE, "");
                if (template.isEmpty()) {
                    throw new InvalidValueException("template", "", "an AppVM needs a template and no default_template is set");
                }
                q.properties.put(QubeProperty.TEMPLATE.id(), template);
            }
            return () -> events.fire(QubeEvent.DOMAIN_ADD, name);
        });
        return name;
    }

    void remove(String name) {
        hostWork.run(() -> removeShielded(name));
    }

    private void removeShielded(String name) {
        lifecycle.lock();
        try {
            QubeRegistry.Change removal = m -> {
                QubeRecord q = QubeRegistry.requireNotDom0(m, name, "cannot be removed");
                if (state.isActive(name)) {
                    throw new InvalidStateException("'" + name + "' is " + state.stateOf(q) + "; shut it down before removing it");
                }
                List<String> users = new ArrayList<>();
                for (QubeRecord o : m.qubes.values()) {
                    for (QubeProperty p : List.of(QubeProperty.NETVM, QubeProperty.TEMPLATE, QubeProperty.DEFAULT_DISPVM)) {
                        if (o != q && name.equals(o.own(p.id()))) {
                            users.add(o.name + "." + p.id());
                        }
                    }
                }
                m.global.forEach((k, v) -> {
                    if (name.equals(v)) {
                        users.add("global " + k);
                    }
                });
                if (!users.isEmpty()) {
                    throw new InvalidStateException("'" + name + "' is still used by " + String.join(", ", users));
                }
                m.qubes.remove(name);
                for (QubeRecord o : m.qubes.values()) {
                    Disposables.updatePreloaded(o, list -> list.remove(name));
                }
                return () -> events.fire(QubeEvent.DOMAIN_DELETE, name);
            };
            // the record goes only once the backend has let the domain go: refused first, then destroyed, then saved
            registry.check(removal);
            HypervisorBackend b = state.adopted();
            if (b != null) {
                b.destroy(name);
            }
            registry.change(removal);
            QubeRegistry.deleteTree(registry.qubeDir(name));
        } finally {
            lifecycle.unlock();
        }
    }

    /** @return the clone's name */
    String clone(String source, String target) {
        return hostWork.call(() -> cloneShielded(source, target));
    }

    private String cloneShielded(String source, String target) {
        String name = QubeNames.validate(target);
        QubeRecord src = QubeRegistry.requireNotDom0(registry.model(), source, "cannot be cloned");
        registry.add(name, m -> {
            if (m.qubes.containsKey(name)) {
                throw new InvalidValueException("name", name, "a qube of that name already exists");
            }
            QubeRecord s = m.qubes.get(src.name);
            QubeRecord copy = new QubeRecord(name, QubeRegistry.freeQid(m), s.klass, s.properties, s.features, s.tags);
            copy.firewall = s.firewall;
            copy.volumes.putAll(s.volumes);
            copy.features.remove(Disposables.PRELOADED);
            m.qubes.put(name, copy);
            volumes.copyKept(m, s, copy);
            return () -> events.fire(QubeEvent.DOMAIN_ADD, name);
        });
        return name;
    }
}
