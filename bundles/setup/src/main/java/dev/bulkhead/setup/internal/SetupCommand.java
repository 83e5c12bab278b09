package dev.bulkhead.setup.internal;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.command.CommandLine;

/**
 * {@code qvm:setup}: sets an empty platform up as the first start does (refused once it has qubes of its
 * own), and, with {@code --uplink}, gives sys-net its uplink. Thin: {@link PlatformSetup} and
 * {@link UplinkSettings} do the work.
 */
@Component(service = SetupCommand.class, property = { "osgi.command.scope=qvm", "osgi.command.function=setup" })
public final class SetupCommand {
    static final String USAGE = "qvm:setup [--uplink none|veth|move|macvlan --interface IF --address CIDR --gateway IP"
            + " [--namespace NS] [--dns IP,...]]";
    /** How long the new uplink settings may take to reach ConfigAdmin (FileInstall reads etc/ twice a second). */
    private static final Duration APPLY_WAIT = Duration.ofSeconds(10);

    private final PlatformSetup setup;
    private final ConfigurationAdmin configurations;

    @Activate
    public SetupCommand(@Reference PlatformSetup setup, @Reference ConfigurationAdmin configurations) {
        this.setup = setup;
        this.configurations = configurations;
    }

    @Descriptor("Set an empty platform up as the first start does: the default template, sys-net, sys-firewall, default-dvm,"
            + " work, personal, untrusted and vault (each can be declined in etc/dev.bulkhead.setup.cfg); refused once it has"
            + " qubes. With --uplink, give sys-net its uplink (etc/dev.bulkhead.role.netvm.cfg); then an empty platform is set up"
            + " too. Usage: " + USAGE)
    public void setup(@Descriptor("[--uplink MODE --interface IF --address CIDR --gateway IP [--namespace NS] [--dns IP,...]]")
            String... args) {
        CommandLine cl = CommandLine.parse(args, Set.of(), Set.of("--uplink", "--interface", "--namespace", "--address", "--gateway",
                "--dns"), Map.of());
        cl.operands(0, 0, USAGE);
        String mode = cl.value("--uplink", null);
        if (mode == null) {
            for (String option : new String[] {"--interface", "--namespace", "--address", "--gateway", "--dns"}) {
                if (cl.value(option, null) != null) {
                    throw new InvalidValueException(option, cl.value(option, ""), "give it with --uplink MODE; usage: "
                            + USAGE);
                }
            }
            setup.setUp(Setup.Mode.COMMAND, System.out::println);
            return;
        }
        UplinkSettings uplink = UplinkSettings.of(mode, cl.value("--interface", ""), cl.value("--namespace", ""),
                cl.value("--address", ""), cl.value("--gateway", ""), cl.value("--dns", ""));
        String where = uplink.write(configurations);
        awaitInForce(uplink);
        System.out.println("sys-net's uplink: " + uplink.describe() + " (in " + where + "); a running NetVM takes it at once,"
                + " qvm:ls says what is wrong with it");
        setup.setUp(Setup.Mode.IF_EMPTY, System.out::println);
    }

    private void awaitInForce(UplinkSettings uplink) {
        long deadline = System.nanoTime() + APPLY_WAIT.toNanos();
        while (!uplink.inForce(configurations)) {
            if (System.nanoTime() > deadline) {
                throw new AdminException("the uplink settings are written but not applied within " + APPLY_WAIT.toSeconds()
                        + " s; see the log");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AdminException("interrupted while the uplink settings were applied; they are written");
            }
        }
    }
}
