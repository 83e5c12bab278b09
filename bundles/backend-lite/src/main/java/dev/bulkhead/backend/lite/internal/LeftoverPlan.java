package dev.bulkhead.backend.lite.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides, from a listing of what this instance holds on the host, what goes at take-over: everything
 * that does not belong to a domain that is both kept by the caller and alive in runc. The order is the
 * one in which removal works: processes before the containers and cgroups they hold, namespaces before
 * nothing else needs them, mounts latest first, loop devices once unmounted, cgroups deepest first, and the
 * channel directories, which nothing on the host mounts.
 */
final class LeftoverPlan {
    enum Kind {
        PROCESS("process"), CONTAINER("runc container"), NETNS("network namespace"), LINK("link"), MOUNT("mount"),
        LOOP("loop device"), CGROUP("cgroup"), CHANNELS("channel directory");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /**
     * Something of this instance on the host.
     *
     * @param item what removing it acts on: a pid, a container id, a namespace, a link, a mount point, a device, a cgroup path
     * @param domain the domain it belongs to; null when it belongs to none
     */
    record Found(Kind kind, String item, String domain) {
    }

    record Removal(Found found, String reason) {
    }

    private LeftoverPlan() {
    }

    /**
     * @param found everything listed, each kind in the order its items can be removed
     * @param live the containers runc has with a live init (running, paused, being created)
     * @param keep the domains the caller goes on running or leaves alone
     */
    static List<Removal> decide(List<Found> found, Set<String> live, Set<String> keep) {
        Set<String> alive = new HashSet<>(live);
        alive.retainAll(keep);
        List<Removal> plan = new ArrayList<>();
        for (Found f : found) {
            String domain = f.domain();
            if (f.kind() == Kind.CONTAINER ? keep.contains(domain) : domain != null && alive.contains(domain)) {
                continue;
            }
            plan.add(new Removal(f, reason(f, live, keep)));
        }
        plan.sort(Comparator.comparing(r -> r.found().kind()));
        return plan;
    }

    private static String reason(Found f, Set<String> live, Set<String> keep) {
        String domain = f.domain();
        if (domain == null) {
            return f.kind() == Kind.LOOP ? "backed by a file of this instance and mounted nowhere"
                    : "it belongs to no domain of this instance";
        }
        if (!keep.contains(domain)) {
            return "the platform runs no qube '" + domain + "'";
        }
        return "domain '" + domain + "' has no live container";
    }
}
