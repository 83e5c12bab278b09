package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import dev.bulkhead.testing.Await;

/**
 * The distribution's first start as a new user meets it, as Qubes' initial setup: the shipped
 * Debian template installed and made the default, sys-net, sys-firewall, default-dvm, work, personal,
 * untrusted and vault with Qubes' labels and netvms; sys-net saying plainly that it has no uplink
 * until one is given (qvm:setup --uplink); the roles' programs found in the default template, and a
 * template without one named. A declined default is not made, a start after the first sets nothing up,
 * and qvm:setup sets an emptied platform up again and refuses one with qubes.
 */
public class FirstRunIT {
    /** A first start installs a 230 MiB template and makes seven qubes. */
    private static final Duration SETUP_TIMEOUT = Duration.ofSeconds(240);
    private static final String NO_UPLINK = "warning: sys-net: no uplink: none is configured (uplink.mode=none in"
            + " etc/dev.bulkhead.role.netvm.cfg), so the qubes behind it reach no network; set one with qvm:setup --uplink";

    private Path home;

    @Before
    public void copyTheDistribution() throws IOException {
        home = DistroCopy.make("bulkhead-firstrun-");
        // as shipped: its templates, and a first start that sets the platform up
        Files.createSymbolicLink(home.resolve("templates"), DistroCopy.DISTRO.resolve("templates"));
        Files.delete(home.resolve("etc/dev.bulkhead.setup.cfg"));
        Files.copy(DistroCopy.DISTRO.resolve("etc/dev.bulkhead.setup.cfg"), home.resolve("etc/dev.bulkhead.setup.cfg"));
    }

    @After
    public void removeIt() throws IOException {
        try {
            if (Files.exists(home.resolve("data/run/bulkhead.pid"))) {
                for (String line : HostCommand.run(bin("client"), "qvm:ls", "--running").stdout().lines().skip(1).toList()) {
                    String qube = line.split("\\s+")[0];
                    if (!qube.equals("dom0")) {
                        HostCommand.run(bin("client"), "qvm:kill", qube);
                    }
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

    private HostCommand.Result client(String... args) {
        List<String> command = new ArrayList<>(List.of(bin("client")));
        command.addAll(List.of(args));
        return HostCommand.run(command.toArray(String[]::new));
    }

    private HostCommand.Result ok(String... args) {
        HostCommand.Result r = client(args);
        assertEquals(List.of(args) + ": stdout: " + r.stdout() + " stderr: " + r.stderr(), 0, r.exitStatus());
        return r;
    }

    private String log() {
        try {
            return Files.readString(home.resolve("data/log/bulkhead.log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void start() {
        HostCommand.Result r = HostCommand.run(bin("start"));
        assertEquals("bin/start: " + r.stdout() + r.stderr(), 0, r.exitStatus());
    }

    private void awaitFirstStart(String outcome) {
        Await.until("the first start to say '" + outcome + "'", SETUP_TIMEOUT, () -> log().contains("first start: " + outcome));
    }

    /** qvm:ls as rows by name: STATE CLASS LABEL TEMPLATE NETVM. */
    private Map<String, String> ls() {
        Map<String, String> rows = new LinkedHashMap<>();
        ok("qvm:ls").stdout().lines().skip(1).forEach(l -> {
            String[] c = l.split("\\s+");
            rows.put(c[0], String.join(" ", List.of(c).subList(1, c.length)));
        });
        return rows;
    }

    private void setUpWith(String settings) throws IOException {
        Files.writeString(home.resolve("etc/dev.bulkhead.setup.cfg"), settings);
    }

    @Test
    public void aFreshStartYieldsTheQubesLayoutOnTheDebianTemplateWhoseProgramsTheRolesFind() {
        start();
        awaitFirstStart("done: sys-net, sys-firewall, default-dvm, work, personal, untrusted, vault, default template bulkhead-debian");

        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("dom0", "Running AdminVM black - -");
        expected.put("bulkhead-debian", "Halted TemplateVM black - -");
        expected.put("default-dvm", "Halted AppVM red bulkhead-debian sys-firewall");
        expected.put("minimal", "Halted TemplateVM black - -");
        expected.put("personal", "Halted AppVM yellow bulkhead-debian sys-firewall");
        expected.put("sys-firewall", "Halted AppVM green bulkhead-debian sys-net");
        expected.put("sys-net", "Halted AppVM red bulkhead-debian -");
        expected.put("untrusted", "Halted AppVM red bulkhead-debian sys-firewall");
        expected.put("vault", "Halted AppVM black bulkhead-debian -");
        expected.put("work", "Halted AppVM blue bulkhead-debian sys-firewall");
        assertEquals(expected, ls());
        assertTrue(client("qvm:ls").stderr(), client("qvm:ls").stderr().contains(NO_UPLINK));
        assertEquals("sys-firewall", ok("qvm:globalprefs", "default_netvm").stdout().strip());
        assertEquals("bulkhead-debian", ok("qvm:globalprefs", "default_template").stdout().strip());
        assertEquals("default-dvm", ok("qvm:globalprefs", "default_dispvm").stdout().strip());
        assertEquals("True", ok("qvm:prefs", "default-dvm", "template_for_dispvms").stdout().strip());
        assertEquals("True", ok("qvm:prefs", "sys-net", "autostart").stdout().strip());
        assertEquals("netvm", ok("qvm:features", "sys-net", "role").stdout().strip());
        assertEquals("firewall", ok("qvm:features", "sys-firewall", "role").stdout().strip());

        HostCommand.Result again = client("qvm:setup");
        assertEquals(again.stdout() + again.stderr(), 1, again.exitStatus());
        assertTrue(again.stderr(), again.stderr().contains("the platform is set up already: it has qubes (default-dvm, personal,"
                + " sys-firewall, sys-net, untrusted, vault, work)"));
        assertEquals("qvm:setup changed nothing", expected, ls());

        // The TorVM README shows, on the default template: tor runs as its own user; its start says sys-net has no uplink.
        ok("feature:install", "tor");
        ok("qvm:create", "--label", "purple", "--property", "provides_network=True", "--property", "netvm=sys-firewall", "sys-tor");
        ok("qvm:features", "sys-tor", "role", "tor");
        HostCommand.Result started = ok("qvm:start", "sys-tor");
        assertTrue("starting sys-tor starts sys-net, which says it has no uplink: " + started.stderr(), started.stderr().contains(NO_UPLINK));
        assertTrue(log(), log().contains("'sys-net' started with no uplink: none is configured"));
        String status = ok("qvm:tor", "status", "sys-tor").stdout();
        assertTrue(status, status.startsWith("sys-tor: tor 0."));
        String versions = ok("qvm:run", "sys-tor", "dnsmasq --version | head -n 1; wg --version; wireguard-go --version; id -un tor").stdout();
        assertTrue("the DNS filter's and the VPN-VM's programs are in the default template: " + versions,
                versions.contains("Dnsmasq version") && versions.contains("wireguard-tools") && versions.contains("wireguard-go")
                        && versions.lines().anyMatch(l -> l.equals("tor")));

        // README's session: a template without tor and its user; the start names the template and the packages.
        ok("qvm:kill", "sys-tor");
        ok("qvm:run", "bulkhead-debian", "mv /usr/bin/tor /usr/bin/tor.away && sed -i '/^tor:/d' /etc/passwd");
        ok("qvm:shutdown", "--wait", "bulkhead-debian");
        ReadmeSessions.Step readme = ReadmeSessions.testedBy("FirstRunIT").get(0).steps(Map.of()).get(0);
        assertEquals("README.adoc:" + readme.line(), "qvm:start sys-tor", readme.command());
        HostCommand.Result refused = client("qvm:start", "sys-tor");
        assertEquals(refused.stderr(), 1, refused.exitStatus());
        assertTrue("README.adoc:" + readme.line() + " shows what qvm:start prints:\n--- README shows:\n" + String.join("\n", readme.expected())
                + "\n--- printed:\n" + refused.stdout() + refused.stderr(),
                ReadmeSessions.matches(readme.expected(), ReadmeSessions.printed(refused.stdout(), refused.stderr())));

        // The uplink, given with qvm:setup --uplink, goes to etc/ and ends the warning; none brings it back.
        for (String qube : List.of("sys-firewall", "sys-net")) {
            ok("qvm:kill", qube);
        }
        HostCommand.Result uplink = ok("qvm:setup", "--uplink", "veth", "--interface", "bhfirstrun0", "--address", "198.51.100.2/24",
                "--gateway", "198.51.100.1", "--dns", "198.51.100.53");
        assertTrue(uplink.stdout(), uplink.stdout().startsWith("sys-net's uplink: uplink.mode=veth uplink.host_interface=bhfirstrun0"));
        expected.put("sys-tor", "Halted AppVM purple bulkhead-debian sys-firewall");
        assertEquals("the platform has its qubes: only the uplink changed", expected, ls());
        Await.until("qvm:ls to stop warning of sys-net's uplink", Duration.ofSeconds(10), () -> !client("qvm:ls").stderr().contains("sys-net"));
        String settings = read(home.resolve("etc/dev.bulkhead.role.netvm.cfg"));
        assertTrue(settings, settings.contains("\nuplink.mode = veth\n") && settings.contains("\nuplink.gateway = 198.51.100.1\n")
                && settings.contains("# uplink.mode: none (no uplink)"));
        HostCommand.Result wrong = ok("qvm:setup", "--uplink", "veth", "--interface", "bhfirstrun0", "--address", "198.51.100.2/24",
                "--gateway", "203.0.113.1");
        assertTrue(wrong.stdout(), wrong.stdout().contains("uplink.gateway=203.0.113.1"));
        Await.until("qvm:ls to say what is wrong with the uplink", Duration.ofSeconds(10), () -> client("qvm:ls").stderr()
                .contains("warning: sys-net: no uplink: the NetVM settings in etc/dev.bulkhead.role.netvm.cfg are wrong: invalid"
                        + " uplink.gateway '203.0.113.1'"));
        ok("qvm:setup", "--uplink", "none");
        Await.until("qvm:ls to warn of no uplink again", Duration.ofSeconds(10), () -> client("qvm:ls").stderr().contains(NO_UPLINK));
    }

    @Test
    public void declinedDefaultsAreNotMadeAndQvmSetupSetsUpAnEmptiedPlatformAgain() throws IOException {
        setUpWith("first.start=true\ntemplate=\ndefault.dvm=false\npersonal=false\nuntrusted=false\n");
        start();
        awaitFirstStart("done: sys-net, sys-firewall, work, vault");

        assertEquals(List.of("dom0", "minimal", "sys-firewall", "sys-net", "vault", "work"), List.copyOf(ls().keySet()));
        assertEquals("Halted AppVM blue minimal sys-firewall", ls().get("work"));
        assertEquals("", ok("qvm:globalprefs", "default_dispvm").stdout().strip());
        assertEquals("minimal", ok("qvm:globalprefs", "default_template").stdout().strip());
        assertFalse("no template was installed", ok("qvm:template", "list").stdout().contains("bulkhead-debian"));

        ok("qvm:globalprefs", "default_netvm", "");
        ok("qvm:remove", "work", "vault", "sys-firewall", "sys-net");
        assertEquals(0, HostCommand.run(bin("stop")).exitStatus());
        start();
        awaitFirstStart("nothing to set up");
        assertEquals("a start after the first sets nothing up", List.of("dom0", "minimal"), List.copyOf(ls().keySet()));

        HostCommand.Result setup = ok("qvm:setup");
        assertTrue(setup.stdout(), setup.stdout().contains("made vault (black, no network)\n"));
        assertTrue(setup.stdout(), setup.stdout().contains("done: sys-net, sys-firewall, work, vault\n"));
        assertEquals(List.of("dom0", "minimal", "sys-firewall", "sys-net", "vault", "work"), List.copyOf(ls().keySet()));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
