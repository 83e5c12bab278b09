package dev.bulkhead.bench.internal;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.json.JsonMappers;

/**
 * {@code bench:scale}: the scale figures of {@code bench:run} alone ({@link ScaleBench}). Like {@code bench:run}, it
 * creates, starts and removes qubes: a throwaway instance on the lite backend only.
 */
@Component(service = ScaleBenchCommand.class, property = { "osgi.command.scope=bench", "osgi.command.function=scale" })
public final class ScaleBenchCommand {
    private final QubeAdmin admin;
    private final CommandProcessor shell;

    @Activate
    public ScaleBenchCommand(@Reference QubeAdmin admin, @Reference CommandProcessor shell) {
        this.admin = admin;
        this.shell = shell;
    }

    @Descriptor("Measure qvm:ls, a start, a stop and a firewall change at 1 and N running qubes, 25 parallel starts and the"
            + " platform's memory per running qube; print JSON")
    public void scale(@Descriptor("running qubes") @Parameter(names = "--qubes", absentValue = "200") int qubes,
            @Descriptor("start/stop rounds at 1 and at N qubes") @Parameter(names = "--rounds", absentValue = "5") int rounds) throws Exception {
        if (qubes < 2 || rounds < 1) {
            throw new IllegalArgumentException("--qubes takes 2 or more and --rounds 1 or more");
        }
        ObjectMapper json = JsonMappers.create().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode out = json.createObjectNode();
        new ScaleBench(admin, shell).measure(out.putObject("scale"), qubes, Math.min(rounds, ScaleBench.MAX_ROUNDS));
        System.out.println(json.writeValueAsString(out));
    }
}
