package dev.bulkhead.role.vpn.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;


import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeAdmin;

/**
 * {@code qvm:vpn import NAME FILE}: takes a wg-quick file for a VPN-VM, checks it whole, stores it
 * (private key included, readable by the platform's user only) and puts it in force if the qube
 * runs. A file with any wrong line is refused, naming the line, and changes nothing. The private
 * key is never printed; the public key that belongs to it is, for the VPN server.
 */
final class VpnImportCommand {
    static final String USAGE = "qvm:vpn import NAME FILE";
    private static final int MAX_BYTES = 64 * 1024;
    private final QubeAdmin admin;
    private final VpnQubes qubes;
    private final VpnStore store;

    VpnImportCommand(QubeAdmin admin, VpnQubes qubes, VpnStore store) {
        this.admin = admin;
        this.qubes = qubes;
        this.store = store;
    }

    /** @param operands what follows {@code import} */
    void run(List<String> operands) {
        if (operands.size() != 2) {
            throw new InvalidValueException("arguments", String.join(" ", operands), "a qube name and a file: " + USAGE);
        }
        String name = operands.get(0);
        boolean running = VpnShell.vpnQube(admin, name).state().isActive();
        WgQuickConfig config = WgQuickConfig.parse(read(Path.of(operands.get(1))));
        store.write(name, config);
        String summary = "public key " + config.publicKey() + ", address " + String.join(", ", config.ipv4Addresses()) + ", DNS "
                + (config.ipv4Dns().isEmpty() ? "none (clients' DNS is dropped)" : String.join(", ", config.ipv4Dns()));
        boolean applied;
        try {
            applied = qubes.apply(name, config);
        } catch (AdminException e) {
            throw new AdminException("'" + name + "': configuration imported (" + summary + ") but its tunnel is down: " + e.getMessage(), e);
        }
        System.out.println(name + ": configuration imported: " + summary);
        System.out.println(applied ? name + ": its new tunnel is in place"
                : name + ": it applies when " + name + (running ? " restarts (it runs from before the platform started)" : " starts"));
    }

    private static String read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidValueException("file", file.toString(), "a wg-quick configuration file that exists");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw new AdminException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (bytes.length > MAX_BYTES) {
            throw new InvalidValueException("file", file.toString(), "a wg-quick configuration of at most " + MAX_BYTES + " bytes");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidValueException("file", file.toString(), "a wg-quick configuration in text (UTF-8)");
        }
    }
}
