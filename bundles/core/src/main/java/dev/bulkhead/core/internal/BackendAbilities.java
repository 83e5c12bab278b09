package dev.bulkhead.core.internal;

import java.util.Objects;
import java.util.Optional;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.hypervisor.BootImages;
import dev.bulkhead.api.hypervisor.DomainLinking;
import dev.bulkhead.api.hypervisor.DomainUplinking;
import dev.bulkhead.api.hypervisor.ExitNotifying;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.LeftoverReconciling;
import dev.bulkhead.api.hypervisor.UsageCounting;
import dev.bulkhead.api.hypervisor.VolumeStorage;
import dev.bulkhead.api.hypervisor.VolumeStoring;

/**
 * What a backend can do beyond {@link HypervisorBackend}, found once when the backend comes. An
 * ability the backend lacks is either refused with a message naming the backend and what it cannot
 * do (before the caller changes anything), or, where doing without is harmless, simply absent.
 */
final class BackendAbilities {
    private final HypervisorBackend backend;
    private final DomainLinking links;
    private final DomainUplinking uplinks;
    private final VolumeStoring volumes;
    private final ExitNotifying exits;
    private final LeftoverReconciling leftovers;
    private final UsageCounting usage;
    private final BootImages bootImages;

    private BackendAbilities(HypervisorBackend backend) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.links = backend instanceof DomainLinking l ? l : null;
        this.uplinks = backend instanceof DomainUplinking u ? u : null;
        this.volumes = backend instanceof VolumeStoring v ? v : null;
        this.exits = backend instanceof ExitNotifying e ? e : null;
        this.leftovers = backend instanceof LeftoverReconciling r ? r : null;
        this.usage = backend instanceof UsageCounting c ? c : null;
        this.bootImages = backend instanceof BootImages i ? i : null;
    }

    static BackendAbilities of(HypervisorBackend backend) {
        return new BackendAbilities(backend);
    }

    HypervisorBackend backend() {
        return backend;
    }

    /**
     * The backend's links.
     *
     * @param refused what the caller was asked to do, e.g. {@code cannot start 'work'}, for the message
     */
    DomainLinking links(String refused) {
        return require(links, refused, "link a qube to a netvm");
    }

    /** The backend's uplinks; {@code refused} as for {@link #links(String)}. */
    DomainUplinking uplinks(String refused) {
        return require(uplinks, refused, "give a qube an uplink");
    }

    /** How the backend keeps volumes; {@code refused} as for {@link #links(String)}. */
    VolumeStorage volumes(String refused) {
        return require(volumes, refused, "copy, import, resize or revert volumes").volumes();
    }

    /** How the backend keeps volumes, if it says. */
    Optional<VolumeStorage> volumes() {
        return Optional.ofNullable(volumes).map(VolumeStoring::volumes);
    }

    /** Without it, qubes that stop by themselves are noticed at the core's next look at the backend's domains. */
    Optional<ExitNotifying> exits() {
        return Optional.ofNullable(exits);
    }

    /** Without it, the backend's domains and their destruction cover all it holds on the host. */
    Optional<LeftoverReconciling> leftovers() {
        return Optional.ofNullable(leftovers);
    }

    /** Without it, qubes have no statistics. */
    Optional<UsageCounting> usage() {
        return Optional.ofNullable(usage);
    }

    /** How the backend keeps the boot images of qubes with virt_mode=hvm; {@code refused} as for {@link #links(String)}. */
    BootImages bootImages(String refused) {
        return require(bootImages, refused, "boot an operating system of the qube's own (virt_mode=hvm; the qemu backend can)");
    }

    private <T> T require(T ability, String refused, String what) {
        if (ability == null) {
            throw new InvalidStateException(refused + ": backend " + backend.name() + " cannot " + what);
        }
        return ability;
    }
}
