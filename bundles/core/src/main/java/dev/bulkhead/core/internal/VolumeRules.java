package dev.bulkhead.core.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.hypervisor.VolumeSpec;

/**
 * Qubes' volume rules: every qube but dom0 has {@code root}, {@code private} and {@code volatile};
 * where each one's content comes from at a start depends on the qube's class, as in Qubes:
 * <ul>
 * <li>root: a TemplateVM's or StandaloneVM's own, kept; an AppVM's is a snapshot of its template's;
 * a DispVM's a snapshot of the root of its template's template. A template without a root of its own
 * runs, and lends, the backend's built-in root.</li>
 * <li>private: kept, the qube's own; a DispVM's is a snapshot of its template's.</li>
 * <li>volatile: fresh at each start.</li>
 * </ul>
 * A volume's storage is the directory {@code qubes/<qube>/<volume>} of the data directory.
 */
final class VolumeRules {
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;
    static final long DEFAULT_ROOT_SIZE = 10 * GIB;
    static final long DEFAULT_PRIVATE_SIZE = 2 * GIB;
    static final long DEFAULT_VOLATILE_SIZE = 10 * GIB;
    /** Small enough to keep copies cheap, large enough for any sensible undo history. */
    static final int MAX_REVISIONS = 32;
    static final List<String> NAMES = List.of(VolumeSpec.ROOT, VolumeSpec.PRIVATE, VolumeSpec.VOLATILE);

    /** How a volume starts: from the qube's own kept storage, as a snapshot of another's, fresh, or from the built-in root. */
    enum Kind {
        KEPT, SNAPSHOT, FRESH, BUILTIN
    }

    /**
     * Where a volume's content comes from.
     *
     * @param kind   how it starts
     * @param owner  the qube whose storage holds that content (for BUILTIN: the template that lends the built-in root)
     * @param volume the volume's name
     */
    record Plan(Kind kind, QubeRecord owner, String volume) {
    }

    private final Path qubesDirectory;

    VolumeRules(Path qubesDirectory) {
        this.qubesDirectory = qubesDirectory;
    }

    static String requireName(String volume) {
        if (volume == null || !NAMES.contains(volume)) {
            throw new InvalidValueException("volume", String.valueOf(volume), "one of " + String.join(", ", NAMES));
        }
        return volume;
    }

    /** The storage directory of a qube's volume. */
    Path storage(String qube, String volume) {
        return qubesDirectory.resolve(qube).resolve(volume);
    }

    /**
     * Where the volume of {@code q} starts from. {@code hasOwnRoot} tells whether a template (or
     * standalone) qube has a root of its own rather than the built-in one.
     */
    static Plan plan(Model m, QubeRecord q, String volume, Predicate<QubeRecord> hasOwnRoot) {
        switch (requireName(volume)) {
            case VolumeSpec.ROOT:
                QubeRecord holder = rootHolder(m, q);
                if (holder == null || !hasOwnRoot.test(holder)) {
                    return new Plan(Kind.BUILTIN, holder == null ? q : holder, volume);
                }
                return new Plan(holder == q ? Kind.KEPT : Kind.SNAPSHOT, holder, volume);
            case VolumeSpec.PRIVATE:
                if (q.klass == QubeClass.DispVM) {
                    QubeRecord dvm = templateOf(m, q);
                    return new Plan(Kind.SNAPSHOT, dvm == null ? q : dvm, volume);
                }
                return new Plan(Kind.KEPT, q, volume);
            default:
                return new Plan(Kind.FRESH, q, volume);
        }
    }

    /** The qube whose root a qube runs on: itself for a template or standalone qube, else up the template chain. */
    private static QubeRecord rootHolder(Model m, QubeRecord q) {
        return switch (q.klass) {
            case TemplateVM, StandaloneVM -> q;
            case AppVM -> templateOf(m, q);
            case DispVM -> {
                QubeRecord dvm = templateOf(m, q);
                yield dvm == null ? null : templateOf(m, dvm);
            }
            default -> null;
        };
    }

    private static QubeRecord templateOf(Model m, QubeRecord q) {
        String template = q.own(QubeProperty.TEMPLATE.id());
        return template == null || template.isEmpty() ? null : m.qubes.get(template);
    }

    /** The size limit that applies to a volume of {@code owner}. */
    static long size(QubeRecord owner, String volume) {
        Long own = owner.volume(volume).size();
        if (own != null) {
            return own;
        }
        return switch (volume) {
            case VolumeSpec.ROOT -> DEFAULT_ROOT_SIZE;
            case VolumeSpec.PRIVATE -> DEFAULT_PRIVATE_SIZE;
            default -> DEFAULT_VOLATILE_SIZE;
        };
    }

    static int revisionsToKeep(QubeRecord owner, String volume) {
        Integer own = owner.volume(volume).revisionsToKeep();
        return own == null ? 0 : own;
    }

    /** What the backend is given for the plan; {@code null} for the built-in root. */
    VolumeSpec spec(QubeRecord q, Plan plan) {
        Path storage = storage(plan.owner().name, plan.volume());
        long size = size(plan.owner(), plan.volume());
        return switch (plan.kind()) {
            case KEPT -> VolumeSpec.persistent(plan.volume(), storage, size, revisionsToKeep(plan.owner(), plan.volume()));
            case SNAPSHOT -> VolumeSpec.snapshotOf(plan.volume(), storage, size);
            case FRESH -> VolumeSpec.fresh(plan.volume(), storage(q.name, plan.volume()), size);
            case BUILTIN -> null;
        };
    }

    /** The spec of a qube's own kept volume, whether or not it starts from it. */
    VolumeSpec keptSpec(QubeRecord q, String volume) {
        return VolumeSpec.persistent(volume, storage(q.name, volume), size(q, volume), revisionsToKeep(q, volume));
    }
}
