package dev.bulkhead.role.vpn.internal;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.command.CommandLine;

/** {@code qvm:vpn import NAME FILE | status NAME}: a VPN-VM's WireGuard configuration and tunnel. */
@Component(service = VpnCommand.class, property = { "osgi.command.scope=qvm", "osgi.command.function=vpn" })
public final class VpnCommand {
    static final String USAGE = "qvm:vpn import NAME FILE | status NAME";
    private final VpnImportCommand importing;
    private final VpnStatusCommand status;

    @Activate
    public VpnCommand(@Reference QubeAdmin admin, @Reference VpnQubes qubes, @Reference VpnStore store) {
        this.importing = new VpnImportCommand(admin, qubes, store);
        this.status = new VpnStatusCommand(admin, qubes, store);
    }

    @Descriptor("A VPN-VM's WireGuard. Usage: " + USAGE + ". import checks a wg-quick file whole, keeps its private key"
            + " readable by the platform only and puts it in force; status shows the tunnel and its handshakes")
    public void vpn(@Descriptor("import NAME FILE | status NAME") String... args) {
        List<String> words = CommandLine.parse(args, Set.of(), Set.of(), Map.of()).operands();
        String action = words.isEmpty() ? "" : words.get(0);
        List<String> operands = words.isEmpty() ? List.of() : words.subList(1, words.size());
        switch (action) {
            case "import" -> importing.run(operands);
            case "status" -> status.run(operands);
            default -> throw new InvalidValueException("action", action, "import or status: " + USAGE);
        }
    }
}
