package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import dev.bulkhead.testing.Await;

/**
 * The distribution as a user runs it, stopped with {@code bin/stop} and started again: service qubes keep
 * running through the restart and their roles take them back, and the features it is to install are
 * installed even when a start could not install them all.
 */
public class DistroRestartIT {

    private Path home;

    @Before
    public void copyTheDistribution() throws IOException {
        home = DistroCopy.make("bulkhead-restart-");
    }

    @After
    public void removeIt() throws IOException {
        try {
            if (Files.exists(home.resolve("data/run/bulkhead.pid"))) {
                for (String qube : List.of("work", "sys-firewall")) {
                    HostCommand.run(bin("client"), "qvm:kill", qube);
                    HostCommand.run(bin("client"), "qvm:remove", qube);
                }
                HostCommand.run(bin("stop"));
            }
        } finally {
            DistroCopy.delete(home);
        }
    }

    private String bin(String name) {
        return home.resolve("bin").resolve(name).toString();
    }

    private static HostCommand.Result check(HostCommand.Result r) {
        assertEquals("exit status; stdout: " + r.stdout() + " stderr: " + r.stderr(), 0, r.exitStatus());
        return r;
    }

    /** bin/client with the words of {@code commandLine} as its arguments (none of them holds a space). */
    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private String client(String commandLine) {
        List<String> command = new java.util.ArrayList<>(List.of(bin("client")));
        command.addAll(List.of(commandLine.split(" ")));
        return check(HostCommand.run(command.toArray(String[]::new))).stdout();
    }

    /** Field 22 of /proc/1/stat inside the qube: when its init started. */
    private String initStartTime(String qube) {
        String stat = client("qvm:run " + qube + " cat /proc/1/stat");
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return after[22 - 3];
    }

    @Test
    public void serviceQubesKeepRunningThroughAStopAndStartAndTheirRoleTakesThemBack() {
        check(HostCommand.run(bin("start")));
        client("qvm:create --label green --property provides_network=True sys-firewall");
        client("qvm:features sys-firewall role firewall");
        client("qvm:create --label red --property netvm=sys-firewall work");
        client("qvm:start work");
        client("qvm:firewall work add --before 0 action=drop dsthost=192.0.2.7");
        String firewallInit = initStartTime("sys-firewall");
        String workInit = initStartTime("work");
        assertTrue(client("qvm:run sys-firewall nft list ruleset").contains("192.0.2.7"));

        check(HostCommand.run(bin("stop")));
        check(HostCommand.run(bin("start")));

        String ls = client("qvm:ls --running");
        assertTrue(ls, ls.lines().anyMatch(l -> l.startsWith("sys-firewall ") && l.contains("Running")));
        assertTrue(ls, ls.lines().anyMatch(l -> l.startsWith("work ") && l.contains("Running")));
        assertEquals("sys-firewall was restarted", firewallInit, initStartTime("sys-firewall"));
        assertEquals("work was restarted", workInit, initStartTime("work"));
        String kept = client("qvm:run sys-firewall nft list ruleset");
        assertTrue("the filter loaded before the restart: " + kept, kept.contains("192.0.2.7"));

        client("qvm:firewall work add --before 0 action=drop dsthost=192.0.2.8");
        String after = client("qvm:run sys-firewall nft list ruleset");
        assertTrue("a rule changed after the restart is loaded: " + after, after.contains("192.0.2.8") && after.contains("192.0.2.7"));
    }

    /** A feature of the boot list that cannot be installed at the first start stays wanted and comes at the next. */
    @Test
    public void aBootFeatureThatCouldNotBeInstalledIsInstalledAtTheNextStart() throws IOException {
        Path features = home.resolve("etc/dev.bulkhead.features.cfg");
        Files.writeString(features, Files.readString(features).replaceAll("(?m)^boot = .*$", "$0, vpn"));
        Path vpnBundles = home.resolve("system/dev/bulkhead/dev.bulkhead.role.vpn");
        Path aside = home.resolve("vpn-aside");
        Files.move(vpnBundles, aside);

        check(HostCommand.run(bin("start")));
        Await.until("the first start to try the vpn feature", Duration.ofSeconds(30),
                () -> read(home.resolve("data/log/bulkhead.log")).contains("feature vpn was not installed at start"));
        assertTrue(client("feature:list").lines().anyMatch(l -> l.startsWith("vpn ") && l.contains("Uninstalled")));
        assertTrue(Files.readString(home.resolve("data/features.json")).contains("\"vpn\""));
        check(HostCommand.run(bin("stop")));

        Files.move(aside, vpnBundles);
        check(HostCommand.run(bin("start")));
        Await.until("the next start to install the vpn feature", Duration.ofSeconds(30),
                () -> client("feature:list").lines().anyMatch(l -> l.startsWith("vpn ") && l.contains("Installed") && !l.contains("Uninstalled")));
        assertTrue(client("qvm:roles"), client("qvm:roles").contains("vpn"));
    }
}
