package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.Test;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeSpec;

/** A real lite qube from creation to removal, and nothing of it left on the host afterwards. */
public class LiteLifecycleIT extends BulkheadTestSupport {

    @Test
    public void appVmLivesAndLeavesNothingBehind() {
        QubeAdmin admin = admin();

        Qube created = admin.create(new QubeSpec("work", QubeClass.AppVM, Label.RED, Map.of()));
        assertEquals(PowerState.Halted, created.state());
        assertEquals("an AppVM created without a template gets the default one", FIRST_TEMPLATE,
                created.value(QubeProperty.TEMPLATE));

        admin.start("work");
        assertEquals(PowerState.Running, admin.get("work").state());
        assertEquals("runc containers", List.of("work"), runcContainers());
        assertEquals("network namespaces of work", 1, netnsOf("work").size());
        List<Path> cgroups = cgroupDirectoriesOf(containerInitPid("work"));
        assertFalse("work runs in no cgroup of its own", cgroups.isEmpty());

        ExecResult hostname = run("work", "hostname");
        assertEquals("hostname stderr: " + hostname.stderrText(), 0, hostname.exitStatus());
        assertEquals("work", hostname.stdoutText().strip());

        ExecResult three = run("work", "sh", "-c", "exit 3");
        assertEquals(3, three.exitStatus());

        admin.shutdown("work", false, true, QUBE_TIMEOUT);
        assertEquals(PowerState.Halted, admin.get("work").state());

        admin.remove("work");
        assertFalse("work is still listed", admin.find("work").isPresent());
        assertEquals("runc containers after removal", List.of(), runcContainers());
        assertEquals("network namespaces of work after removal", List.of(), netnsOf("work"));
        assertEquals("paths of work under " + dataDir() + " after removal", List.of(), dataPathsOf("work"));
        assertEquals("cgroups of work after removal", List.of(), cgroups.stream().filter(Files::exists).toList());
        assertEquals("mounts below " + dataDir() + " after removal", List.of(), mountsBelowDataDir());
    }

    @Test
    public void aQubeWhoseInitDiesIsSeenHaltedAndCanStartAgain() {
        QubeAdmin admin = admin();
        admin.create(new QubeSpec("fragile", QubeClass.AppVM, Label.ORANGE, Map.of()));
        admin.start("fragile");
        host("kill", "-KILL", Long.toString(containerInitPid("fragile")));
        awaitTrue("fragile to be seen halted", QUBE_TIMEOUT, () -> admin.get("fragile").state() == PowerState.Halted,
                () -> "state is " + admin.get("fragile").state());
        assertEquals("network namespaces of fragile once it died", List.of(), netnsOf("fragile"));
        admin.start("fragile");
        assertEquals("fragile", runOk("fragile", "hostname").strip());
    }
}
