package dev.bulkhead.bench.internal;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.json.JsonMappers;
import dev.bulkhead.api.template.TemplateStore;

/**
 * {@code bench:qrexec}: the call figures of {@code bench:run} alone ({@link QrexecBench}), for a quick look at the
 * call path without the whole run. Like {@code bench:run}, it creates and removes qubes: a throwaway instance only.
 */
@Component(service = QrexecBenchCommand.class, property = { "osgi.command.scope=bench", "osgi.command.function=qrexec" })
public final class QrexecBenchCommand {
    private final BundleContext context;
    private final QubeAdmin admin;
    private final TemplateStore templates;

    @Activate
    public QrexecBenchCommand(BundleContext context, @Reference QubeAdmin admin, @Reference TemplateStore templates) {
        this.context = context;
        this.admin = admin;
        this.templates = templates;
    }

    @Descriptor("Measure an empty call between qubes and a 64 MB copy through one against a plain unix socket; print JSON")
    public void qrexec(@Descriptor("rounds (5 calls each)") @Parameter(names = "--rounds", absentValue = "20") int rounds,
            @Descriptor("template package with the qube tools") @Parameter(names = "--template", absentValue = "") String template)
            throws Exception {
        ObjectMapper json = JsonMappers.create().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode out = json.createObjectNode();
        new QrexecBench(admin, templates, context).measure(out.putObject("qrexec"), rounds, template);
        System.out.println(json.writeValueAsString(out));
    }
}
