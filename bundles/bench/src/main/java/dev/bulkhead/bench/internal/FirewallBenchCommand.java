package dev.bulkhead.bench.internal;

import java.util.List;
import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.json.JsonMappers;

/**
 * {@code bench:firewall}: the firewall figure of {@code bench:run} alone ({@link NetworkBench#applyRules}), for a quick
 * look at a rule change without the whole run. Its FirewallVM has no netvm (the figure does not use one), so it needs
 * no uplink. Like {@code bench:run}, it creates and removes qubes: a throwaway instance only.
 */
@Component(service = FirewallBenchCommand.class, property = { "osgi.command.scope=bench", "osgi.command.function=firewall" })
public final class FirewallBenchCommand {
    private static final String FIREWALL = BenchCommand.PREFIX + "fwonly";
    private static final String CLIENT = BenchCommand.PREFIX + "fwclient";

    private final QubeAdmin admin;

    @Activate
    public FirewallBenchCommand(@Reference QubeAdmin admin) {
        this.admin = admin;
    }

    @Descriptor("Measure the time to put a 1,000-rule firewall policy in force, as bench:run does; print JSON")
    public void firewall(@Descriptor("rule changes measured") @Parameter(names = "--rounds", absentValue = "5") int rounds) throws Exception {
        ObjectMapper json = JsonMappers.create().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode out = json.createObjectNode();
        admin.create(new QubeSpec(FIREWALL, QubeClass.AppVM, Label.GREEN, Map.of("provides_network", "True")));
        try {
            admin.setFeature(FIREWALL, "role", "firewall");
            admin.create(new QubeSpec(CLIENT, QubeClass.AppVM, Label.BLUE, Map.of("netvm", FIREWALL)));
            admin.start(CLIENT);
            ObjectNode apply = out.putObject("apply_1000_rules_ms");
            NetworkBench.applyRules(admin, FIREWALL, CLIENT, apply, rounds);
            apply.put("rounds", rounds);
        } finally {
            for (String q : List.of(CLIENT, FIREWALL)) {
                if (admin.list().stream().anyMatch(existing -> existing.name().equals(q))) {
                    if (admin.get(q).state().isActive()) {
                        admin.kill(q);
                    }
                    admin.remove(q);
                }
            }
        }
        System.out.println(json.writeValueAsString(out));
    }
}
