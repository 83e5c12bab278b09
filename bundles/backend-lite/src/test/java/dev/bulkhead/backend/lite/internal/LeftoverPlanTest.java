package dev.bulkhead.backend.lite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.bulkhead.backend.lite.internal.LeftoverPlan.Found;
import dev.bulkhead.backend.lite.internal.LeftoverPlan.Kind;
import dev.bulkhead.backend.lite.internal.LeftoverPlan.Removal;

/** The take-over decisions on a made-up listing of the host; {@link HostReconcilerSystemTest} is its twin on the real host. */
class LeftoverPlanTest {
    private static final String HOME = "/data/lite/domains/";

    /** What a running qube 'work' holds: all of it must stay. */
    private static List<Found> runningWork() {
        return List.of(new Found(Kind.CONTAINER, "work", "work"), new Found(Kind.PROCESS, "101", "work"),
                new Found(Kind.NETNS, "bh-abc123-work", "work"), new Found(Kind.MOUNT, HOME + "work/volumes/private", "work"),
                new Found(Kind.MOUNT, HOME + "work/volumes", "work"), new Found(Kind.CGROUP, "/bulkhead-abc123/work", "work"));
    }

    @Test
    void everythingOfARunningKeptDomainStays() {
        assertEquals(List.of(), LeftoverPlan.decide(runningWork(), Set.of("work"), Set.of("work")));
    }

    @Test
    void aDomainTheCallerDoesNotKeepLosesEverythingEvenWithALiveContainer() {
        List<Removal> plan = LeftoverPlan.decide(runningWork(), Set.of("work"), Set.of());

        assertEquals(runningWork().size(), plan.size());
        assertTrue(plan.stream().allMatch(r -> r.reason().equals("the platform runs no qube 'work'")), plan.toString());
    }

    @Test
    void aKeptDomainWithoutALiveContainerLosesWhatACrashLeftButKeepsItsContainerState() {
        // a crash mid-kill: runc says stopped, the namespace and the mounts are still there
        List<Found> found = List.of(new Found(Kind.CONTAINER, "work", "work"), new Found(Kind.NETNS, "bh-abc123-work", "work"),
                new Found(Kind.MOUNT, HOME + "work/volumes/private", "work"));

        List<Removal> plan = LeftoverPlan.decide(found, Set.of(), Set.of("work"));

        assertEquals(List.of(new Removal(found.get(1), "domain 'work' has no live container"),
                new Removal(found.get(2), "domain 'work' has no live container")), plan);
    }

    @Test
    void aHaltedQubesNamespaceMountsCgroupAndStrayProcessGoWhileARunningOnesStay() {
        // a crash mid-start: netns, mounts and cgroup made, runc never ran
        List<Found> found = new java.util.ArrayList<>(runningWork());
        found.addAll(List.of(new Found(Kind.CGROUP, "/bulkhead-abc123/half", "half"), new Found(Kind.MOUNT, HOME + "half/volumes/volatile", "half"),
                new Found(Kind.NETNS, "bh-abc123-half", "half"), new Found(Kind.PROCESS, "202", "half"),
                new Found(Kind.LINK, "bhup1234", "half")));

        List<Removal> plan = LeftoverPlan.decide(found, Set.of("work"), Set.of("work"));

        assertEquals(List.of(Kind.PROCESS, Kind.NETNS, Kind.LINK, Kind.MOUNT, Kind.CGROUP),
                plan.stream().map(r -> r.found().kind()).toList(), "removal order: processes first, cgroups last");
        assertTrue(plan.stream().allMatch(r -> "half".equals(r.found().domain())), plan.toString());
        assertTrue(plan.stream().allMatch(r -> r.reason().equals("the platform runs no qube 'half'")), plan.toString());
    }

    @Test
    void mountsAndLoopDevicesOfNoDomainGoWithTheirReason() {
        List<Found> found = List.of(new Found(Kind.LOOP, "/dev/loop7", null), new Found(Kind.MOUNT, "/data/lite/stray", null));

        List<Removal> plan = LeftoverPlan.decide(found, Set.of(), Set.of());

        assertEquals(List.of(new Removal(found.get(1), "it belongs to no domain of this instance"),
                new Removal(found.get(0), "backed by a file of this instance and mounted nowhere")), plan);
    }

    @Test
    void withinAKindTheListedOrderStays() {
        // mounts come latest first from the mount table, cgroups deepest first: that order is the removal order
        List<Found> found = List.of(new Found(Kind.CGROUP, "/bulkhead-abc123/x/sub", "x"), new Found(Kind.MOUNT, HOME + "x/volumes/private", "x"),
                new Found(Kind.CGROUP, "/bulkhead-abc123/x", "x"), new Found(Kind.MOUNT, HOME + "x/volumes", "x"));

        List<String> order = LeftoverPlan.decide(found, Set.of(), Set.of()).stream().map(r -> r.found().item()).toList();

        assertEquals(List.of(HOME + "x/volumes/private", HOME + "x/volumes", "/bulkhead-abc123/x/sub", "/bulkhead-abc123/x"), order);
    }
}
