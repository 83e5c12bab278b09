package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.Test;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.host.HostCommands;

/**
 * The distribution's default template, bulkhead-debian, as the distro build made it: a real Debian in
 * which apt and dpkg work, with what the GUI needs, and on which every shipped network role starts and
 * carries traffic (netvm, firewall, TorVM, VPN-VM); a qube with the feature gui has a display of its own that
 * neither dom0's nor another qube's X clients share. One test: the template is unpacked once.
 */
public class DebianTemplateIT extends GatewayTestSupport {
    static final String DEBIAN = "bulkhead-debian";

    /** The Debian template package, as the build made it into the distribution. */
    static Path debianTemplate() throws IOException {
        Path dir = workspace().resolve("distro/target/bulkhead/templates");
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(DEBIAN + "-")).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + DEBIAN + " package in " + dir + ": build the distro first"));
        }
    }

    /** A display number no X server on the host uses, from 50 up. */
    private static int freeHostDisplay() {
        for (int n = 50; n < 100; n++) {
            if (!Files.exists(Path.of("/tmp/.X" + n + "-lock")) && !Files.exists(Path.of("/tmp/.X11-unix/X" + n))) {
                return n;
            }
        }
        throw new AssertionError("no free X display number between :50 and :99 on the host");
    }

    private String templateOf(String qube) {
        return admin().get(qube).properties().get("template").value();
    }

    @Test
    public void aQubeOnTheDebianTemplateHasAptDpkgAndTheGuiProgramsAndEveryRoleRunsOnIt() throws Exception {
        String installed = shell("qvm:template install " + debianTemplate());
        assertTrue(installed, installed.contains("installed " + DEBIAN + " "));
        admin().setGlobalProperty("default_template", DEBIAN);

        admin().create(new QubeSpec("deb", QubeClass.AppVM, Label.BLUE, Map.of()));
        admin().setFeature("deb", "gui", "1");
        assertEquals(DEBIAN, templateOf("deb"));
        admin().start("deb");
        assertTrue(runOk("deb", "dpkg", "-s", "xvfb").contains("Status: install ok installed"));
        for (String pkg : new String[] { "openjdk-17-jre-headless", "libxtst6", "libxdamage1", "xterm", "x11-utils", "xinput", "xdotool", "nftables",
                "iproute2", "conntrack", "dnsmasq-base", "tor", "wireguard-go", "wireguard-tools" }) {
            ExecResult status = run("deb", "dpkg-query", "-W", "-f", "${Status}", pkg);
            assertEquals(pkg + ": " + status.stderrText(), "install ok installed", status.stdoutText());
        }
        assertTrue(runOk("deb", "apt-get", "--version").startsWith("apt "));
        assertTrue(runOk("deb", "id", "tor").startsWith("uid="));
        assertTrue(runOk("deb", "wg", "--version").startsWith("wireguard-tools"));
        assertTrue(run("deb", "java", "-version").stderrText().contains("17."));
        assertEquals("nameserver 10.139.1.1\nnameserver 10.139.1.2\n", runOk("deb", "cat", "/etc/resolv.conf"));

        // a display per GUI qube, its own: not dom0's, not another qube's
        awaitTrue("deb's own display :0", QUBE_TIMEOUT, () -> run("deb", "xdpyinfo", "-display", ":0").exitStatus() == 0,
                () -> run("deb", "cat", "/tmp/Xvfb.log").stdoutText());
        String processes = runOk("deb", "sh", "-c", "for p in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $p; echo; done");
        assertTrue(processes, processes.contains("Xvfb :0 -noreset -nolisten tcp"));
        admin().create(new QubeSpec("deb2", QubeClass.AppVM, Label.RED, Map.of()));
        admin().start("deb2");
        assertNotEquals("deb2 has no display of its own and reaches none of deb's", 0,
                run("deb2", "xdpyinfo", "-display", ":0").exitStatus());
        // not :0, which names the qube's own display inside it
        String display = ":" + freeHostDisplay();
        try (HostCommands.Started dom0Display = HostCommand.HOST.start(dev.bulkhead.api.host.HostCommand.of(QUBE_TIMEOUT,
                "Xvfb", display, "-nolisten", "tcp").withOutputCap(64 * 1024))) {
            awaitTrue("dom0's display " + display + " to answer on the host", QUBE_TIMEOUT,
                    () -> HostCommand.run("xdpyinfo", "-display", display).exitStatus() == 0, () -> "xdpyinfo fails");
            ExecResult fromQube = run("deb", "xdpyinfo", "-display", display);
            assertNotEquals("deb reached dom0's display " + display + ": " + fromQube.stdoutText(), 0, fromQube.exitStatus());
            assertTrue(fromQube.stderrText(), fromQube.stderrText().contains("unable to open display"));
        }
        admin().kill("deb");
        admin().kill("deb2");

        // every role's qube on the Debian template: anon → sys-tor and work → sys-vpn, both → sys-firewall → sys-net;
        // the clients stay on the busybox template, whose wget the test support fetches with
        buildUpstream();
        configure(TorIT.TOR_BUNDLE, Map.of("bridges", OutsideNetwork.BRIDGE + ":" + OutsideNetwork.BRIDGE_PORT, "status.interval", "1"),
                "(bridges=" + OutsideNetwork.BRIDGE + ":" + OutsideNetwork.BRIDGE_PORT + ")");
        createGateway("sys-tor", "tor", "sys-firewall");
        admin().create(new QubeSpec("anon", QubeClass.AppVM, Label.BLACK, Map.of("netvm", "sys-tor", "template", FIRST_TEMPLATE)));
        String clientKey = host("wg", "genkey").strip();
        String serverPublicKey = outside.startWireGuardServer(publicKey(clientKey));
        createGateway("sys-vpn", "vpn", "sys-firewall");
        admin().create(new QubeSpec("work", QubeClass.AppVM, Label.BLUE, Map.of("netvm", "sys-vpn", "template", FIRST_TEMPLATE)));
        shell("qvm:vpn import sys-vpn " + wgQuick("good.conf", clientKey, serverPublicKey));
        for (String qube : new String[] { "sys-net", "sys-firewall", "sys-tor", "sys-vpn" }) {
            assertEquals(qube, DEBIAN, templateOf(qube));
        }

        startChain("anon");
        admin().start("work");

        assertEquals("the tunnel carries work's traffic", OutsideNetwork.TUNNEL_PAGE, fetch("work", OutsideNetwork.TUNNEL_SERVER).stdoutText());
        awaitTrue("tor's status in sys-tor's features", QUBE_TIMEOUT,
                () -> "running".equals(admin().get("sys-tor").features().get("tor.state")), () -> admin().get("sys-tor").features().toString());
        runOk("anon", "sh", "-c", "timeout 20 wget -q -O /dev/null http://" + OutsideNetwork.WEB + ":80/ >/dev/null 2>&1 &");
        String client = addressOf("anon");
        awaitTrue("anon's connection on tor's TransPort", QUBE_TIMEOUT, () -> transPortConnections("sys-tor").contains(client + ":"),
                () -> transPortConnections("sys-tor"));
        assertTrue("tor runs as its own user: " + transPortConnections("sys-tor"), transPortConnections("sys-tor").contains("\"tor\""));
    }
}
