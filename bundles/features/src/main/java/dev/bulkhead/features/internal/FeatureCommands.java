package dev.bulkhead.features.internal;

import java.io.PrintStream;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.feature.FeatureAdmin;
import dev.bulkhead.api.feature.FeatureInfo;

/** The {@code feature:*} commands, as in Karaf: thin calls of {@link FeatureAdmin}, which the console uses too. */
@Component(service = FeatureCommands.class, property = {
        "osgi.command.scope=feature",
        "osgi.command.function=list", "osgi.command.function=install", "osgi.command.function=uninstall" })
public final class FeatureCommands {
    private final FeatureAdmin features;

    @Activate
    public FeatureCommands(@Reference FeatureAdmin features) {
        this.features = features;
    }

    @Descriptor("List the features the platform can install: NAME STATE BUNDLES DESCRIPTION. Usage: feature:list")
    public void list() {
        List<FeatureInfo> all = features.list();
        int width = Math.max(4, all.stream().mapToInt(f -> f.name().length()).max().orElse(0));
        PrintStream out = System.out;
        out.printf("%-" + width + "s  %-11s  %7s  %s%n", "NAME", "STATE", "BUNDLES", "DESCRIPTION");
        for (FeatureInfo f : all) {
            out.printf("%-" + width + "s  %-11s  %7d  %s%n", f.name(), f.installed() ? "Installed" : "Uninstalled",
                    f.bundles().size(), f.description());
        }
    }

    @Descriptor("Install features and start their bundles. Usage: feature:install NAME...")
    public void install(@Descriptor("NAME...") String... names) {
        requireNames(names, "feature:install NAME...");
        for (String name : names) {
            FeatureInfo f = features.install(name);
            System.out.println("feature " + f.name() + " installed (" + f.bundles().size() + " bundles)");
        }
    }

    @Descriptor("Uninstall features: their bundles that no other installed feature holds, and their default configuration."
            + " Usage: feature:uninstall NAME...")
    public void uninstall(@Descriptor("NAME...") String... names) {
        requireNames(names, "feature:uninstall NAME...");
        for (String name : names) {
            features.uninstall(name);
            System.out.println("feature " + name + " uninstalled");
        }
    }

    private static void requireNames(String[] names, String usage) {
        if (names.length == 0) {
            throw new InvalidValueException("arguments", "", "usage: " + usage);
        }
    }
}
