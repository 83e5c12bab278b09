package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.hypervisor.UplinkSpec;

/**
 * The host interfaces moved into each running domain as its uplink ({@link UplinkSpec.Mode#MOVE}),
 * kept in the domain's directory, which its qube cannot reach and which outlives a restart of the
 * platform. A domain killed, or dead, before its role took the uplink out gives it back to the host
 * from this list: with its namespace, a virtual interface would go and a card would come back under
 * the name it had inside.
 */
final class MovedUplinks {
    private static final String FILE = "moved-uplinks";
    private final InstanceLayout layout;

    MovedUplinks(InstanceLayout layout) {
        this.layout = layout;
    }

    synchronized void add(String domain, UplinkSpec uplink) {
        List<UplinkSpec> moved = new ArrayList<>(of(domain));
        moved.removeIf(u -> u.domainInterface().equals(uplink.domainInterface()));
        moved.add(uplink);
        write(domain, moved);
    }

    synchronized void remove(String domain, UplinkSpec uplink) {
        List<UplinkSpec> moved = new ArrayList<>(of(domain));
        if (moved.removeIf(u -> u.domainInterface().equals(uplink.domainInterface()))) {
            write(domain, moved);
        }
    }

    /** The uplinks moved into the domain and not taken out again; each line is "inside host", read back as written. */
    synchronized List<UplinkSpec> of(String domain) {
        Path file = file(domain);
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            List<UplinkSpec> moved = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] names = line.split(" ", -1);
                if (names.length == 2) {
                    moved.add(new UplinkSpec(UplinkSpec.Mode.MOVE, names[1], null, names[0]));
                }
            }
            return moved;
        } catch (IOException e) {
            throw new AdminException("cannot read the moved uplinks of domain '" + domain + "': " + e.getMessage(), e);
        }
    }

    synchronized void clear(String domain) {
        write(domain, List.of());
    }

    private void write(String domain, List<UplinkSpec> moved) {
        Path file = file(domain);
        try {
            if (moved.isEmpty()) {
                Files.deleteIfExists(file);
                return;
            }
            StringBuilder text = new StringBuilder();
            for (UplinkSpec u : moved) {
                text.append(u.domainInterface()).append(' ').append(u.hostInterface()).append('\n');
            }
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AdminException("cannot record the moved uplinks of domain '" + domain + "': " + e.getMessage(), e);
        }
    }

    private Path file(String domain) {
        return layout.domainDirectory(domain).resolve(FILE);
    }
}
