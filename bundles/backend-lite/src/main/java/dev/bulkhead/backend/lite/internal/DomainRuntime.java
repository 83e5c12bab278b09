package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.UplinkSpec;

/**
 * What a domain runs in while it runs: its OCI bundle, its runc container, its network namespace, its
 * mounted volumes and its channels; written before a start and taken away again at stop.
 */
final class DomainRuntime {
    private static final System.Logger LOG = System.getLogger(LiteBackend.class.getName());
    private final InstanceLayout layout;
    private final RuncRuntime runc;
    private final NetnsManager netns;
    private final OciConfig oci;
    private final LiteVolumes volumes;
    private final LiteChannels channels;
    private final MovedUplinks movedUplinks;

    DomainRuntime(InstanceLayout layout, RuncRuntime runc, NetnsManager netns, OciConfig oci, LiteVolumes volumes,
            LiteChannels channels, MovedUplinks movedUplinks) {
        this.layout = layout;
        this.runc = runc;
        this.netns = netns;
        this.oci = oci;
        this.volumes = volumes;
        this.channels = channels;
        this.movedUplinks = movedUplinks;
    }

    /** Writes the domain's OCI bundle (config.json); returns the bundle directory. */
    Path writeBundle(DomainSpec spec, LiteVolumes.Prepared prepared) {
        String name = spec.name();
        try {
            Path bundle = layout.domainDirectory(name);
            Files.createDirectories(bundle);
            ObjectNode config = oci.forDomain(spec, prepared.root(), prepared.rootReadOnly(), prepared.privateMount(), prepared.home(),
                    prepared.usrLocal(),
                    netns.path(layout.netnsName(name)), layout.cgroupsPath(name));
            oci.bindReadOnly(config, channels.prepare(name), LiteChannels.QUBE_DIRECTORY);
            Files.write(layout.configFile(name), oci.toJson(config));
            return bundle;
        } catch (IOException e) {
            throw new AdminException("cannot write the bundle of domain '" + name + "': " + e.getMessage(), e);
        }
    }

    /**
     * Kills and deletes the container if runc holds one, gives the host interfaces moved into it back,
     * removes the domain's network namespace, and unmounts its volumes: what it wrote outside its kept
     * volumes goes with them.
     */
    void remove(String name) {
        if (runc.holds(name)) {
            runc.delete(name);
        }
        giveMovedUplinksBack(name);
        netns.delete(layout.netnsName(name));
        volumes.release(layout.volumesDirectory(name));
        channels.remove(name);
    }

    /**
     * A domain killed, or dead, before its role took a moved uplink out: the interface goes back to
     * the host under its own name, as the role's detach would have done; what fails is logged, and
     * the namespace goes all the same.
     */
    private void giveMovedUplinksBack(String name) {
        String domainNetns = layout.netnsName(name);
        try {
            for (UplinkSpec uplink : movedUplinks.of(name)) {
                try {
                    netns.detachUplink(uplink, domainNetns);
                } catch (AdminException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot give the uplink " + uplink.hostInterface() + " of domain "
                            + name + " back to the host: " + e.getMessage());
                }
            }
            movedUplinks.clear(name);
        } catch (AdminException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot give the moved uplinks of domain " + name + " back to the host: " + e.getMessage());
        }
    }

    void requireRunning(String name) {
        if (!runc.holds(name)) {
            throw new InvalidStateException("domain '" + name + "' is not running");
        }
    }

    /** Sends a signal; false when the container stopped by itself in the meantime or runc refused. */
    boolean signalled(String name, String signal) {
        try {
            runc.signal(name, signal);
            return true;
        } catch (AdminException e) {
            // the forced delete in remove follows, and reports if runc itself is broken
            return false;
        }
    }
}
