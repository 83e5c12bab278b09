package dev.bulkhead.bench.internal;

import static dev.bulkhead.bench.internal.BenchFigures.ms;
import static dev.bulkhead.bench.internal.BenchFigures.percentile;
import static dev.bulkhead.bench.internal.BenchFigures.putAgainstFloor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.gui.GuiService;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.json.JsonMappers;
import dev.bulkhead.api.template.TemplateStore;

/**
 * {@code bench:run}: measures the platform in the running instance and prints JSON. Each figure
 * stands next to a floor measured in the same run, so the ratio means something on any host.
 * It creates and removes qubes, so bin/bench runs it in a throwaway instance only.
 * <p>
 * The floors, named {@code floor_*} in the output, time bare host commands or requests on purpose,
 * never the platform's helpers: {@code bare_runc} ({@code ip netns add} and {@code runc run}, here and
 * in {@link DisposableBench}), {@code static_get} ({@link ListingBench}), {@code bare_ip_link_del}
 * ({@link DeadNetvmBench}), {@code bare_veth} and {@code bare_wireguard_go} ({@link NetworkBench}),
 * {@code bundle_install_start} ({@link RoleDeployBench}), {@code unix_socket_echo} and
 * {@code unix_socket_copy} ({@link QrexecBench}), {@code bare_qemu} ({@link QemuFloor}). What is only set up around a floor and not
 * timed (a namespace, a veth pair) is made with the platform's own helpers.
 */
@Component(service = BenchCommand.class, property = { "osgi.command.scope=bench", "osgi.command.function=run" })
public final class BenchCommand {
    /** Every qube the bench makes starts with it. */
    static final String PREFIX = "bench-";
    private final BundleContext context;
    private final QubeAdmin admin;
    private final CommandProcessor shell;
    private final TemplateStore templates;
    private final BenchHost host;
    private final HostCommands hostCommands;
    private final ConfigurationAdmin configurations;

    @Activate
    public BenchCommand(BundleContext context, @Reference QubeAdmin admin, @Reference CommandProcessor shell,
            @Reference TemplateStore templates, @Reference HostCommands hostCommands, @Reference ConfigurationAdmin configurations) {
        this.host = new BenchHost(hostCommands);
        this.hostCommands = hostCommands;
        this.configurations = configurations;
        this.context = context;
        this.admin = admin;
        this.shell = shell;
        this.templates = templates;
    }

    @Descriptor("Measure qube start and disposables against bare runc, qvm:ls and the console's qube list over many qubes, the network"
            + ", scale (with --scale N), the GUI and the qemu backend's start and chain against their bare floors; print JSON")
    public void run(
            @Descriptor("start/stop rounds") @Parameter(names = "--rounds", absentValue = "20") int rounds,
            @Descriptor("qubes defined for the listing figure") @Parameter(names = "--qubes", absentValue = "1000") int qubes,
            @Descriptor("platform start to shell-ready, measured by bin/bench") @Parameter(names = "--boot-ms", absentValue = "-1") long bootMs,
            @Descriptor("resident memory after start, measured by bin/bench") @Parameter(names = "--boot-rss-kb", absentValue = "-1") long bootRssKb,
            @Descriptor("network namespace at the end of the NetVM uplink, made by bin/bench; empty: no network figures")
            @Parameter(names = "--outside", absentValue = "") String outside,
            @Descriptor("a role bundle jar to deploy for the hot-deploy figure; empty: no such figure")
            @Parameter(names = "--role-jar", absentValue = "") String roleJar,
            @Descriptor("the folder FileInstall watches for bundles (deploy/)") @Parameter(names = "--deploy", absentValue = "") String deploy,
            @Descriptor("its poll interval, as configured, reported next to the figure")
            @Parameter(names = "--deploy-poll-ms", absentValue = "-1") long deployPollMs,
            @Descriptor("template package the disposables are based on; empty: the built-in root")
            @Parameter(names = "--template", absentValue = "") String template,
            @Descriptor("dom0's display, an Xvfb made by bin/bench and set in dev.bulkhead.gui; empty: no GUI figures")
            @Parameter(names = "--gui-display", absentValue = "") String guiDisplay,
            @Descriptor("the Debian template package the GUI qube runs on") @Parameter(names = "--gui-template", absentValue = "") String guiTemplate,
            @Descriptor("this bundle's jar, whose X clients the GUI figures run") @Parameter(names = "--probe-jar", absentValue = "") String probeJar,
            @Descriptor("JNA's jar, for those clients on the host") @Parameter(names = "--jna-jar", absentValue = "") String jnaJar,
            @Descriptor("why bin/bench leaves the GUI figures out, printed in their place")
            @Parameter(names = "--gui-skipped", absentValue = "") String guiSkipped,
            @Descriptor("measure the qemu figures too, switching the core to the qemu backend after the others")
            @Parameter(names = "--qemu", presentValue = "true", absentValue = "false") boolean qemu,
            @Descriptor("why bin/bench leaves the qemu figures out, printed in their place")
            @Parameter(names = "--qemu-skipped", absentValue = "") String qemuSkipped,
            @Descriptor("running lite qubes for the scale figures; 0: no scale figures")
            @Parameter(names = "--scale", absentValue = "0") int scale)
            throws Exception {
        ObjectMapper json = JsonMappers.create().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode out = json.createObjectNode();
        out.put("backend", admin.backendName());

        List<Long> floor = bareRuncStarts(rounds);
        List<Long> starts = qubeStarts(rounds);
        ObjectNode start = out.putObject("qube_start_ms");
        putAgainstFloor(start, starts, 99, floor, "bare_runc");
        start.put("floor_bare_runc_p99", ms(percentile(floor, 99)));
        start.put("rounds", rounds);
        start.put("target_p50", 30);

        new ListingBench(admin, shell, context).measure(qubes, rounds, out);

        new DisposableBench(admin, templates, host).measure(out.putObject("disposable_ms"), rounds, template);

        new QrexecBench(admin, templates, context).measure(out.putObject("qrexec"), rounds, template);

        new DeadNetvmBench(admin, Path.of(context.getProperty("bulkhead.data")), host)
                .measure(out.putObject("dead_netvm_links_down_ms"), Math.min(rounds, 10));

        if (!outside.isEmpty()) {
            new NetworkBench(admin, shell, host).measure(out.putObject("network"), outside);
        }

        if (!roleJar.isEmpty()) {
            new RoleDeployBench(admin, context).measure(out.putObject("role_deploy_ms"), Path.of(roleJar), Path.of(deploy), deployPollMs);
        }

        ObjectNode scaleFigures = out.putObject("scale");
        if (scale > 0) {
            new ScaleBench(admin, shell).measure(scaleFigures, scale, Math.min(rounds, ScaleBench.MAX_ROUNDS));
        } else {
            scaleFigures.put("skipped", "left out (--scale 0)");
        }

        ObjectNode gui = out.putObject("gui");
        String skipped = guiSkipReason(context, guiSkipped, guiDisplay);
        if (skipped.isEmpty()) {
            try {
                new GuiBench(admin, templates, new XDisplays(hostCommands))
                        .measure(gui, new GuiBench.Setup(guiDisplay, Path.of(guiTemplate), Path.of(probeJar), Path.of(jnaJar)));
            } catch (AdminException e) {
                // the figures measured so far stay; the rest of the run's figures are printed too
                gui.put("error", e.getMessage());
            }
        } else {
            gui.put("skipped", skipped);
        }

        ObjectNode qemuFigures = out.putObject("qemu");
        String qemuSkip = QemuBench.skipReason(qemuSkipped, qemu,
                context.getServiceReferences(HypervisorBackend.class, "(" + HypervisorBackend.BACKEND_PROPERTY + "=qemu)").size() > 0);
        if (qemuSkip.isEmpty()) {
            try {
                new QemuBench(admin, configurations, host, hostCommands).measure(qemuFigures, rounds, outside);
            } catch (AdminException | IOException e) {
                // as for the GUI: the figures measured so far stay
                qemuFigures.put("error", e.getMessage());
            }
        } else {
            qemuFigures.put("skipped", qemuSkip);
        }

        ObjectNode boot = out.putObject("platform");
        boot.put("start_to_shell_ready_ms", bootMs);
        boot.put("start_target_ms", 1000);
        boot.put("rss_after_start_mb", bootRssKb < 0 ? -1 : bootRssKb / 1024);
        boot.put("rss_after_bench_mb", BenchHost.rssKb() / 1024);
        boot.put("rss_target_mb", 150);
        System.out.println(json.writeValueAsString(out));
    }

    /** The floor: {@code ip netns add} plus {@code runc run -d} of a busybox container joined to it. */
    private List<Long> bareRuncStarts(int rounds) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("bulkhead-bench-floor");
        try {
            String ns = "bhbench-" + ProcessHandle.current().pid();
            host.writeBusyboxBundle(dir, ns, List.of("/bin/busybox", "sleep", "1000000"));
            String root = dir.resolve("state").toString();
            List<Long> times = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                String id = "floor" + i;
                long t0 = System.nanoTime();
                host.exec(dir, "ip", "netns", "add", ns);
                host.exec(dir.resolve("bundle"), "runc", "--root", root, "run", "-d", id);
                times.add(System.nanoTime() - t0);
                host.exec(dir, "runc", "--root", root, "delete", "--force", id);
                host.exec(dir, "ip", "netns", "del", ns);
            }
            return times;
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private List<Long> qubeStarts(int rounds) {
        String name = PREFIX + "start";
        admin.create(new QubeSpec(name, QubeClass.AppVM, Label.GRAY, Map.of()));
        try {
            List<Long> times = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                admin.start(name);
                times.add(System.nanoTime() - t0);
                admin.kill(name);
            }
            return times;
        } finally {
            admin.remove(name);
        }
    }

    /** Why the GUI figures are left out ({@code bin/bench}'s own reason first), or empty when they are measured. */
    static String guiSkipReason(BundleContext context, String guiSkipped, String guiDisplay) {
        return !guiSkipped.isEmpty() ? guiSkipped
                : guiDisplay.isEmpty() ? "no dom0 display was given (--gui-display)"
                : context.getServiceReference(GuiService.class) == null ? "the gui feature is not installed (feature:install gui)"
                : "";
    }
}
