package dev.bulkhead.core.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.VolumeInfo;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.api.hypervisor.VolumeStorage;

/**
 * The volumes of qubes as {@link VolumeRules} plans them: what a qube keeps, what it starts
 * afresh, and the changes a user makes to the volumes it keeps (revert, resize, revisions, import).
 */
final class QubeVolumes {
    private final QubeRegistry registry;
    private final RuntimeState state;
    private final VolumeRules rules;
    private final ReentrantLock lifecycle;
    private final HostWork hostWork;
    private final EventDispatcher events;

    QubeVolumes(QubeRegistry registry, RuntimeState state, VolumeRules rules, ReentrantLock lifecycle, HostWork hostWork,
            EventDispatcher events) {
        this.registry = registry;
        this.state = state;
        this.rules = rules;
        this.lifecycle = lifecycle;
        this.hostWork = hostWork;
        this.events = events;
    }

    List<VolumeInfo> volumes(String name) {
        Model m = registry.model();
        QubeRecord q = QubeRegistry.require(m, name);
        if (q.klass == QubeClass.AdminVM) {
            return List.of();
        }
        List<VolumeInfo> all = new ArrayList<>();
        for (String volume : VolumeRules.NAMES) {
            all.add(volumeInfo(m, q, volume));
        }
        return all;
    }

    VolumeInfo volume(String name, String volume) {
        Model m = registry.model();
        QubeRecord q = QubeRegistry.requireNotDom0(m, name, "has no volumes");
        return volumeInfo(m, q, VolumeRules.requireName(volume));
    }

    /** The volumes a qube starts with, as its backend is to make them. */
    List<VolumeSpec> specs(Model m, QubeRecord q) {
        List<VolumeSpec> volumes = new ArrayList<>();
        for (String volume : VolumeRules.NAMES) {
            VolumeSpec spec = rules.spec(q, VolumeRules.plan(m, q, volume, this::hasOwnRoot));
            if (spec != null) {
                volumes.add(spec);
            }
        }
        return volumes;
    }

    /**
     * Whether the qube boots an operating system of its own (virt_mode=hvm, a StandaloneVM's property): its root is
     * always its own, the boot image kept in its storage.
     */
    static boolean hvm(QubeRecord q) {
        return q.klass == QubeClass.StandaloneVM && DomainSpec.HVM.equals(q.own(QubeProperty.VIRT_MODE.id()));
    }

    /** Whether a template or standalone qube has a root of its own, rather than the backend's built-in one. */
    boolean hasOwnRoot(QubeRecord q) {
        if (hvm(q)) {
            return true;
        }
        HypervisorBackend b = state.adopted();
        if (b == null || (q.klass != QubeClass.TemplateVM && q.klass != QubeClass.StandaloneVM)) {
            return false;
        }
        try {
            return state.abilities(b).volumes().map(v -> v.exists(rules.keptSpec(q, VolumeSpec.ROOT))).orElse(false);
        } catch (AdminException e) {
            return false;
        }
    }

    /** Gives a clone, within the change that adds it, a copy of each volume its source keeps. */
    void copyKept(Model m, QubeRecord source, QubeRecord copy) {
        for (String volume : List.of(VolumeSpec.ROOT, VolumeSpec.PRIVATE)) {
            if (VolumeRules.plan(m, source, volume, this::hasOwnRoot).kind() == VolumeRules.Kind.KEPT
                    && Files.exists(rules.storage(source.name, volume))) {
                VolumeStorage storage = state.abilities().volumes("cannot clone '" + source.name + "'");
                VolumeSpec from = rules.keptSpec(source, volume);
                if (storage.exists(from)) {
                    storage.copy(from, rules.keptSpec(copy, volume));
                }
            }
        }
    }

    private VolumeInfo volumeInfo(Model m, QubeRecord q, String volume) {
        VolumeRules.Plan plan = VolumeRules.plan(m, q, volume, this::hasOwnRoot);
        HypervisorBackend adopted = state.adopted();
        String pool = adopted == null ? "none" : adopted.name();
        long size = VolumeRules.size(plan.owner(), volume);
        String origin = plan.owner().name + ":" + volume;
        switch (plan.kind()) {
            case KEPT -> {
                VolumeSpec spec = rules.keptSpec(q, volume);
                VolumeStorage storage = state.storageIfAny();
                boolean stored = storage != null && Files.isDirectory(spec.source());
                return new VolumeInfo(q.name, volume, pool, spec.source().toString(), true, "", true, false, size,
                        stored ? storage.usage(spec) : 0, spec.revisionsToKeep(), stored ? storage.revisions(spec) : List.of());
            }
            case SNAPSHOT -> {
                return new VolumeInfo(q.name, volume, pool, "", true, origin, false, true, size, 0, 0, List.of());
            }
            case FRESH -> {
                return new VolumeInfo(q.name, volume, pool, "", true, "", false, false, size, 0, 0, List.of());
            }
            default -> {
                // the backend's built-in root: read-only, no storage of the qube's own
                return new VolumeInfo(q.name, volume, pool, "", false, plan.owner() == q ? "" : origin, false, false, 0, 0, 0,
                        List.of());
            }
        }
    }

    /** The plan of a volume the qube keeps itself; refused, naming where the volume comes from, otherwise. */
    private QubeRecord requireKeptVolume(Model m, String name, String volume, String what) {
        QubeRecord q = QubeRegistry.requireNotDom0(m, name, "has no volumes");
        VolumeRules.Plan plan = VolumeRules.plan(m, q, VolumeRules.requireName(volume), this::hasOwnRoot);
        if (plan.kind() != VolumeRules.Kind.KEPT) {
            String why = switch (plan.kind()) {
                case SNAPSHOT -> "it starts afresh from " + plan.owner().name + ":" + volume + " at each start";
                case FRESH -> "it is volatile: empty at each start";
                default -> "it is the backend's built-in root";
            };
            throw new InvalidValueException("volume", name + ":" + volume, "cannot " + what + ": " + why);
        }
        return q;
    }

    void revert(String name, String volume, String revision) {
        hostWork.run(() -> revertShielded(name, volume, revision));
    }

    private void revertShielded(String name, String volume, String revision) {
        lifecycle.lock();
        try {
            QubeRecord q = requireKeptVolume(registry.model(), name, volume, "be reverted");
            if (state.isActive(name)) {
                throw new InvalidStateException("'" + name + "' is " + state.stateOf(q) + "; shut it down before reverting " + name + ":" + volume);
            }
            state.abilities().volumes("cannot revert " + name + ":" + volume).revert(rules.keptSpec(q, volume), revision);
        } finally {
            lifecycle.unlock();
        }
        events.fire(QubeEvent.VOLUME_REVERT + volume, name, Map.of("revision", revision == null ? "latest" : revision));
    }

    void resize(String name, String volume, long sizeBytes) {
        hostWork.run(() -> resizeShielded(name, volume, sizeBytes));
    }

    private void resizeShielded(String name, String volume, long sizeBytes) {
        lifecycle.lock();
        try {
            Model m = registry.model();
            QubeRecord q = QubeRegistry.requireNotDom0(m, name, "has no volumes");
            VolumeRules.Plan plan = VolumeRules.plan(m, q, VolumeRules.requireName(volume), this::hasOwnRoot);
            if (plan.kind() == VolumeRules.Kind.SNAPSHOT || plan.kind() == VolumeRules.Kind.BUILTIN) {
                throw new InvalidValueException("volume", name + ":" + volume, plan.kind() == VolumeRules.Kind.SNAPSHOT
                        ? "its size is that of " + plan.owner().name + ":" + volume + "; resize that one"
                        : "the backend's built-in root has no size to change");
            }
            long present = VolumeRules.size(q, volume);
            if (sizeBytes < present) {
                throw new InvalidValueException("size of " + name + ":" + volume, Long.toString(sizeBytes),
                        "at least its present size " + present + ": volumes only grow, as in Qubes");
            }
            if (plan.kind() == VolumeRules.Kind.KEPT && Files.exists(rules.storage(name, volume))) {
                VolumeStorage storage = state.abilities().volumes("cannot resize " + name + ":" + volume);
                VolumeSpec spec = rules.keptSpec(q, volume);
                if (storage.exists(spec)) {
                    storage.resize(name, spec, sizeBytes);
                }
            }
            registry.change(c -> {
                QubeRecord r = c.qubes.get(name);
                r.volumes.put(volume, r.volume(volume).withSize(sizeBytes));
                return () -> events.fire(QubeEvent.VOLUME_RESIZE + volume, name, Map.of("size", Long.toString(sizeBytes)));
            });
        } finally {
            lifecycle.unlock();
        }
    }

    void setRevisionsToKeep(String name, String volume, int revisions) {
        if (revisions < 0 || revisions > VolumeRules.MAX_REVISIONS) {
            throw new InvalidValueException("revisions_to_keep", Integer.toString(revisions), "a number from 0 to " + VolumeRules.MAX_REVISIONS);
        }
        registry.change(m -> {
            QubeRecord q = requireKeptVolume(m, name, volume, "keep revisions");
            q.volumes.put(volume, q.volume(volume).withRevisionsToKeep(revisions));
            return () -> events.fire(QubeEvent.VOLUME_CONFIG + volume, name, Map.of("revisions_to_keep", Integer.toString(revisions)));
        });
    }

    void importContent(String name, String volume, Path content) {
        hostWork.run(() -> importShielded(name, volume, content));
    }

    private void importShielded(String name, String volume, Path content) {
        lifecycle.lock();
        try {
            QubeRecord q = QubeRegistry.requireNotDom0(registry.model(), name, "has no volumes");
            VolumeRules.requireName(volume);
            boolean keeps = volume.equals(VolumeSpec.ROOT) ? q.klass == QubeClass.TemplateVM || q.klass == QubeClass.StandaloneVM
                    : volume.equals(VolumeSpec.PRIVATE) && q.klass != QubeClass.DispVM;
            if (!keeps) {
                throw new InvalidValueException("volume", name + ":" + volume, "only a volume the qube keeps itself can be imported"
                        + " (the root of a TemplateVM or StandaloneVM, the private volume of any qube but a DispVM)");
            }
            if (state.isActive(name)) {
                throw new InvalidStateException("'" + name + "' is " + state.stateOf(q) + "; shut it down before importing " + name + ":" + volume);
            }
            if (hvm(q) && volume.equals(VolumeSpec.ROOT)) {
                state.abilities().bootImages("cannot import " + name + ":" + volume).installBootImage(rules.keptSpec(q, volume), content);
            } else {
                state.abilities().volumes("cannot import " + name + ":" + volume).importContent(rules.keptSpec(q, volume), content);
            }
        } finally {
            lifecycle.unlock();
        }
        events.fire(QubeEvent.VOLUME_IMPORT + volume, name);
    }
}
