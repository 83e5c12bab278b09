package dev.bulkhead.api.gui;

import java.util.Set;

import dev.bulkhead.api.Qube;

/** The qube feature {@value #NAME}: whether a qube gets a display of its own, its windows shown on dom0's display. */
public final class GuiFeature {
    public static final String NAME = "gui";
    /** The values that mean yes, as Qubes reads a boolean feature. */
    private static final Set<String> ON = Set.of("1", "True", "true");

    private GuiFeature() {
    }

    /** Whether {@code qube} has the feature on. */
    public static boolean isOn(Qube qube) {
        return ON.contains(qube.features().getOrDefault(NAME, ""));
    }
}
