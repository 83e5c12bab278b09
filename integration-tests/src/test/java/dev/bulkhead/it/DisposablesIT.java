package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.UUID;

import org.junit.Test;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeClass;

/**
 * Disposables: {@code qvm:run --dispvm} runs a command in a fresh disp&lt;N&gt; that is destroyed
 * afterwards with every byte it wrote; named DispVMs start from their template each time; preloaded
 * disposables wait, paused, to be handed out.
 */
public class DisposablesIT extends BulkheadTestSupport {
    @Test
    public void aDisposableRunsTheCommandAndLeavesNothingOnTheHost() throws Exception {
        shell("qvm:template install " + TemplatesIT.defaultTemplate());
        shell("qvm:create --label orange --template " + TemplatesIT.BASE + " --property template_for_dispvms=True work-dvm");
        runOk("work-dvm", "sh", "-c", "echo from the template > /rw/settings");
        admin().shutdown("work-dvm", false, true, QUBE_TIMEOUT);
        shell("qvm:globalprefs default_dispvm work-dvm");
        String token = "written-by-a-disposable-" + UUID.randomUUID();

        String seen = shell("qvm:run --dispvm cat /rw/settings");
        ExecResult wrote = admin().runDisposable(null, List.of("sh", "-c", "hostname; echo " + token + " > /rw/secret; echo " + token
                + " > /etc/secret; echo " + token + " > /tmp/secret; sync"), new byte[0], RUN_TIMEOUT);

        assertEquals("from the template\n", seen);
        assertEquals(wrote.stderrText(), 0, wrote.exitStatus());
        String disposable = wrote.stdoutText().strip();
        assertTrue(disposable, disposable.matches("disp[0-9]{1,4}"));
        assertFalse("the disposable is gone", admin().find(disposable).isPresent());
        assertEquals(List.of(), admin().list().stream().filter(q -> q.klass() == QubeClass.DispVM).toList());
        assertEquals("no path of the disposable is left", List.of(), dataPathsOf(disposable));
        assertEquals(List.of(), mountsBelowDataDir());
        assertEquals("no loop device is left", "", host("losetup", "--noheadings", "--list", "--output", "BACK-FILE").lines()
                .filter(l -> l.contains(dataDir().toString())).reduce("", String::concat));
        HostCommand.Result grep = HostCommand.run("grep", "-rl", token, dataDir().toString());
        assertEquals("no file holds what it wrote: " + grep.stdout(), 1, grep.exitStatus());
        assertEquals("the template's private volume is as it was", 1, run("work-dvm", "test", "-e", "/rw/secret").exitStatus());
    }

    @Test
    public void aNamedDispVmStaysButStartsFromItsTemplateEachTime() throws Exception {
        shell("qvm:create --label orange --property template_for_dispvms=True dvm");
        runOk("dvm", "sh", "-c", "echo template data > /rw/data");
        admin().shutdown("dvm", false, true, QUBE_TIMEOUT);
        shell("qvm:create --class DispVM --template dvm --label red named");

        runOk("named", "sh", "-c", "echo scratch > /rw/scratch");
        admin().restart("named", QUBE_TIMEOUT);

        assertEquals(1, run("named", "test", "-e", "/rw/scratch").exitStatus());
        assertEquals("template data\n", runOk("named", "cat", "/rw/data"));
        admin().kill("named");
        assertEquals(PowerState.Halted, admin().get("named").state());
        assertEquals("False", shell("qvm:prefs named auto_cleanup").strip());
    }

    @Test
    public void aPreloadedDisposableIsHandedOutAndAnotherTakesItsPlace() throws Exception {
        shell("qvm:create --label orange --property template_for_dispvms=True dvm");
        shell("qvm:features dvm preload-dispvm-max 1");
        awaitTrue("one disposable preloaded and paused", QUBE_TIMEOUT, () -> ready("dvm") != null
                && admin().get(ready("dvm")).state() == PowerState.Paused, this::describeQubes);
        String preloaded = ready("dvm");

        ExecResult r = admin().runDisposable("dvm", List.of("hostname"), new byte[0], RUN_TIMEOUT);

        assertEquals(preloaded + "\n", r.stdoutText());
        awaitTrue("the used one is gone and another is preloaded", QUBE_TIMEOUT,
                () -> admin().find(preloaded).isEmpty() && ready("dvm") != null && !ready("dvm").equals(preloaded), this::describeQubes);
        assertNotEquals(preloaded, ready("dvm"));
        shell("qvm:features --unset dvm preload-dispvm-max");
        awaitTrue("no disposable is left once preloading is off", QUBE_TIMEOUT,
                () -> admin().list().stream().noneMatch(q -> q.klass() == QubeClass.DispVM), this::describeQubes);
    }

    private String ready(String template) {
        Qube t = admin().get(template);
        String list = t.features().get("preload-dispvm");
        return list == null || list.isBlank() ? null : list.split(" ")[0];
    }
}
