package dev.bulkhead.templates.internal;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.command.CommandLine;
import dev.bulkhead.api.template.InstallListener;
import dev.bulkhead.api.template.PayloadFile;
import dev.bulkhead.api.template.TemplateInfo;
import dev.bulkhead.api.template.TemplateStore;
import dev.bulkhead.api.template.Verification;

/**
 * {@code qvm:template}, as Qubes' {@code qvm-template}: install a signed package, list, show,
 * verify and remove templates. Thin: every action is one call of {@link TemplateStore}.
 */
@Component(service = TemplateCommands.class, property = { "osgi.command.scope=qvm", "osgi.command.function=template" })
public final class TemplateCommands {
    static final String USAGE = "qvm:template install [--allow-unknown-key] FILE | list | info NAME | verify FILE|NAME | remove NAME";
    static final String ALLOW_UNKNOWN_KEY = "--allow-unknown-key";

    private final TemplateStore store;
    private final Path home;

    @Activate
    public TemplateCommands(BundleContext context, @Reference TemplateStore store) {
        this.store = store;
        String home = context.getProperty("bulkhead.home");
        this.home = home == null || home.isBlank() ? Path.of("").toAbsolutePath() : Path.of(home);
    }

    @Descriptor("Templates, as qvm-template. Usage: " + USAGE + ". A relative FILE is taken from the installation directory.")
    public void template(@Descriptor("install [--allow-unknown-key] FILE | list | info NAME | verify FILE|NAME | remove NAME")
            String... args) {
        List<String> ops = Arrays.asList(args);
        String action = ops.isEmpty() ? "list" : ops.get(0);
        List<String> rest = ops.isEmpty() ? List.of() : ops.subList(1, ops.size());
        switch (action) {
            case "install" -> install(rest);
            case "list", "ls" -> {
                operands(rest, 0);
                list();
            }
            case "info" -> info(operands(rest, 1).get(0));
            case "verify" -> verify(operands(rest, 1).get(0));
            case "remove", "rm" -> store.remove(operands(rest, 1).get(0));
            default -> throw new InvalidValueException("action", action, "install, list, info, verify or remove");
        }
    }

    private static List<String> operands(List<String> ops, int count) {
        return CommandLine.parse(ops.toArray(String[]::new), Set.of(), Set.of(), Map.of()).operands(count, count, USAGE);
    }

    private void install(List<String> args) {
        CommandLine cl = CommandLine.parse(args.toArray(String[]::new), Set.of(ALLOW_UNKNOWN_KEY), Set.of(), Map.of());
        boolean allowUnknownKey = cl.flag(ALLOW_UNKNOWN_KEY);
        Path file = file(cl.operands(1, 1, USAGE).get(0));
        PrintStream out = System.out;
        if (allowUnknownKey) {
            System.err.println("WARNING: " + ALLOW_UNKNOWN_KEY + ": a template signed by a key you have not trusted will be installed."
                    + " Its integrity is checked against that key, but nothing says who holds it.");
        }
        ProgressBar bar = new ProgressBar(out);
        TemplateInfo installed;
        try {
            installed = store.install(file, bar, allowUnknownKey);
        } finally {
            bar.finish();
        }
        out.println("installed " + installed.name() + " " + installed.manifest().version() + " as TemplateVM " + installed.name()
                + ", signed by " + installed.keyId() + (installed.keyTrusted() ? "" : " (NOT a trusted key)"));
    }

    private void list() {
        List<TemplateInfo> all = store.list();
        StringBuilder sb = new StringBuilder();
        String format = "%-24s %-20s %-16s %-8s %s%n";
        sb.append(String.format(Locale.ROOT, format, "NAME", "VERSION", "KEY", "TRUSTED", "INSTALLED"));
        for (TemplateInfo t : all) {
            sb.append(String.format(Locale.ROOT, format, t.name() + (t.qubePresent() ? "" : " (qube gone)"), t.manifest().version(),
                    t.keyId(), t.keyTrusted() ? "yes" : "NO", t.installed()));
        }
        System.out.print(sb);
    }

    private void info(String name) {
        TemplateInfo t = store.find(name).orElseThrow(() -> new InvalidValueException("template", name,
                "an installed template; see qvm:template list"));
        PrintStream out = System.out;
        out.println("name         " + t.name());
        out.println("version      " + t.manifest().version());
        out.println("summary      " + t.manifest().summary());
        out.println("built        " + t.manifest().built());
        out.println("backends     " + String.join(", ", t.manifest().backends()));
        out.println("key          " + t.keyId() + (t.keyTrusted() ? " (trusted)" : " (NOT trusted: installed with " + ALLOW_UNKNOWN_KEY + ")"));
        out.println("installed    " + t.installed());
        out.println("templatevm   " + (t.qubePresent() ? t.name() : "(removed)"));
        t.manifest().sizes().forEach((v, size) -> out.println("size         " + v + " " + size));
        for (PayloadFile f : t.manifest().files()) {
            out.println("payload      " + f.name() + " " + f.kind() + " " + f.size() + " bytes sha256:" + f.sha256());
        }
    }

    /** An argument that names an installed template verifies it; anything else is a package file. */
    private void verify(String target) {
        boolean installed = target.matches("[a-zA-Z][a-zA-Z0-9_.-]{0,30}") && store.find(target).isPresent();
        Verification v = installed ? store.verifyInstalled(target) : store.verify(file(target));
        PrintStream out = System.out;
        out.println(v.subject() + ": " + (v.ok() ? "OK" : "FAILED"));
        if (v.manifest() != null) {
            out.println("  template " + v.manifest().name() + " " + v.manifest().version());
        }
        if (!v.keyId().isEmpty()) {
            out.println("  key " + v.keyId() + (v.keyTrusted() ? " (trusted)" : " (NOT trusted)"));
        }
        v.problems().forEach(p -> out.println("  problem: " + p));
        if (!v.ok()) {
            throw new InvalidValueException("template", target, v.problems().isEmpty() ? "it is signed by a key that is not trusted"
                    : v.problems().get(0));
        }
    }

    private Path file(String name) {
        Path p = Path.of(name);
        return p.isAbsolute() ? p : home.resolve(p).normalize();
    }

    /** A one-line bar redrawn in place, once per phase and whole percent, while a template is read and unpacked. */
    static final class ProgressBar implements InstallListener {
        private static final int WIDTH = 30;
        private final PrintStream out;
        private Phase lastPhase;
        private int lastPercent = -1;
        private boolean drawn;

        ProgressBar(PrintStream out) {
            this.out = out;
        }

        @Override
        public void progress(Phase phase, long done, long total) {
            int percent = percent(done, total);
            if (phase != lastPhase || percent != lastPercent) {
                out.print("\r" + line(phase, done, total));
                out.flush();
                lastPhase = phase;
                lastPercent = percent;
                drawn = true;
            }
        }

        private static int percent(long done, long total) {
            return total <= 0 ? 100 : (int) Math.min(100, done * 100 / total);
        }

        static String line(Phase phase, long done, long total) {
            int percent = percent(done, total);
            int filled = percent * WIDTH / 100;
            String label = String.format(Locale.ROOT, "%-9s", phase.name().toLowerCase(Locale.ROOT));
            String amount = phase == Phase.PAYLOAD || phase == Phase.UNPACK
                    ? String.format(Locale.ROOT, " %.1f/%.1f MiB", done / 1048576.0, total / 1048576.0) : "";
            return label + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + String.format(Locale.ROOT, "%3d%%", percent) + amount;
        }

        void finish() {
            if (drawn) {
                out.println();
            }
        }
    }
}
