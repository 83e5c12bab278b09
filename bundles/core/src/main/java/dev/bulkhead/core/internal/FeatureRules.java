package dev.bulkhead.core.internal;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.gui.GuiFeature;
import dev.bulkhead.api.role.QubeRole;

/**
 * The features that mean something to the platform, each declared once with its check, as Qubes
 * checks them in {@code domain-feature-pre-set} handlers; and the form every feature must have.
 * Any other feature is free text for whoever reads it.
 */
final class FeatureRules {
    /** Feature of a disposable template: how many of its disposables are kept started and ready, as in Qubes 4.3. */
    static final String PRELOAD_MAX = "preload-dispvm-max";
    /** Feature of a disposable template that the platform keeps: the names of its ready disposables. */
    static final String PRELOADED = "preload-dispvm";
    static final int MAX_PRELOAD = 16;
    /** Feature: the qube gets a display of its own, its windows shown on dom0's display. */
    static final String GUI = GuiFeature.NAME;
    /** A boolean feature's values, as Qubes reads them: empty is no. */
    private static final Set<String> BOOLEAN = Set.of("1", "True", "true", "0", "False", "false", "");
    private static final Pattern KEY = Pattern.compile("[a-zA-Z0-9_.:-]{1,64}");
    private static final int MAX_VALUE = 4096;

    /**
     * One feature with meaning.
     *
     * @param description what it means; for a feature the platform owns, why a user may not change it
     * @param platformOwned whether only the platform sets and removes it
     * @param changesWhileRunning whether it may be set or removed while the qube runs
     * @param check refuses a value it does not accept, naming the feature
     */
    record Feature(String key, String description, boolean platformOwned, boolean changesWhileRunning, Consumer<String> check) {
    }

    static final List<Feature> FEATURES = List.of(
            new Feature(QubeRole.ROLE_FEATURE, "The VM role the qube carries (netvm, firewall, tor, vpn, ...)", false, false, v -> {
            }),
            new Feature(PRELOAD_MAX, "How many disposables of this disposable template are kept started and ready, 0 to "
                    + MAX_PRELOAD, false, true, FeatureRules::checkPreloadMax),
            new Feature(PRELOADED, "it lists the preloaded disposables", true, true, v -> {
            }),
            // The display and the GUI agent start with the qube, so they come and go only with a restart.
            new Feature(GUI, "Whether the qube gets its own display, its windows shown in dom0", false, false, FeatureRules::checkGui));

    private FeatureRules() {
    }

    static Optional<Feature> find(String key) {
        return FEATURES.stream().filter(f -> f.key().equals(key)).findFirst();
    }

    /** Refuses a feature a user may not set to this value, whatever the qube's state. */
    static void checkSet(String key, String value) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new InvalidValueException("feature", String.valueOf(key), "1 to 64 letters, digits, '_', '.', ':' or '-'");
        }
        if (value == null || value.length() > MAX_VALUE || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new InvalidValueException("feature value", String.valueOf(value), "at most " + MAX_VALUE + " printable characters");
        }
        find(key).ifPresent(f -> {
            f.check().accept(value);
            refuseIfOwned(f);
        });
    }

    /** Refuses the removal of a feature the platform keeps. */
    static void checkRemove(String key) {
        find(key).ifPresent(FeatureRules::refuseIfOwned);
    }

    /** Refuses a change, while the qube runs, of a feature that may change only while it is halted. */
    static void checkRunning(String qube, String key, boolean running) {
        if (running && find(key).filter(f -> !f.changesWhileRunning()).isPresent()) {
            throw new InvalidStateException("the " + key + " of '" + qube + "' can change only while it is halted");
        }
    }

    private static void checkPreloadMax(String value) {
        if (!value.matches("[0-9]{1,2}") || Integer.parseInt(value) > MAX_PRELOAD) {
            throw new InvalidValueException(PRELOAD_MAX, value, "a number of disposables from 0 to " + MAX_PRELOAD);
        }
    }

    private static void checkGui(String value) {
        if (!BOOLEAN.contains(value)) {
            throw new InvalidValueException(GUI, value, "1, True or true for a display; 0, False, false or empty for none");
        }
    }

    private static void refuseIfOwned(Feature f) {
        if (f.platformOwned()) {
            throw new InvalidValueException("feature", f.key(), "the platform keeps it: " + f.description());
        }
    }
}
