package dev.bulkhead.api.hypervisor;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;

/**
 * Everything a backend needs to run one qube. The domain is known to the backend by the qube's
 * name, which never changes. A spec without a {@code root} volume asks the backend for its
 * built-in minimal root. A {@code networkProvider} routes for other domains: it forwards packets
 * and may manage its own network stack (addresses, routes, packet filter).
 * <p>
 * {@code virtMode} is the qube's {@code virt_mode}: {@value #PVH}, the backend's own boot with its agent inside, or
 * {@value #HVM} (since 2.4), an operating system of the qube's own that the domain's firmware boots from the disk or ISO
 * in the storage of its {@code root} volume ({@link BootImages}), with no Bulkhead agent: nothing runs in it through
 * the backend. A backend without {@link BootImages} refuses {@value #HVM}.
 */
public record DomainSpec(String name, int qid, QubeClass klass, int memoryMiB, int maxmemMiB, int vcpus,
        String kernelopts, boolean networkProvider, List<VolumeSpec> volumes, String virtMode) {
    /** @since 2.4 */
    public static final String PVH = "pvh";
    /** @since 2.4 */
    public static final String HVM = "hvm";

    public DomainSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(klass, "klass");
        kernelopts = kernelopts == null ? "" : kernelopts;
        volumes = List.copyOf(volumes);
        virtMode = virtMode == null ? PVH : virtMode;
        if (!virtMode.equals(PVH) && !virtMode.equals(HVM)) {
            throw new InvalidValueException("virt_mode", virtMode, PVH + " or " + HVM);
        }
    }

    /** The form of API 2.3 and before: the backend's own boot ({@value #PVH}). */
    public DomainSpec(String name, int qid, QubeClass klass, int memoryMiB, int maxmemMiB, int vcpus,
            String kernelopts, boolean networkProvider, List<VolumeSpec> volumes) {
        this(name, qid, klass, memoryMiB, maxmemMiB, vcpus, kernelopts, networkProvider, volumes, PVH);
    }

    public Optional<VolumeSpec> volume(String volumeName) {
        return volumes.stream().filter(v -> v.name().equals(volumeName)).findFirst();
    }

    /**
     * Whether the domain boots an operating system of its own through its firmware, with no agent.
     *
     * @since 2.4
     */
    public boolean hvm() {
        return HVM.equals(virtMode);
    }
}
