package dev.bulkhead.gui.internal;

import java.awt.GraphicsEnvironment;

import com.sun.jna.Library;
import com.sun.jna.Native;

import dev.bulkhead.api.InvalidStateException;

/**
 * Points AWT at dom0's configured display. AWT opens the display named by the process's
 * {@code DISPLAY} environment variable when it is first used, once per process; so the variable is
 * set in the C environment before the first session, and a later change of display is refused
 * until Bulkhead restarts. A JVM started with {@code -Djava.awt.headless=true} cannot show windows and is refused.
 */
final class DisplayBinding {
    interface LibC extends Library {
        int setenv(String name, String value, int overwrite);

        String getenv(String name);
    }

    private final LibC libc;
    private String bound;

    DisplayBinding() {
        this.libc = Native.load("c", LibC.class);
    }

    /**
     * Makes sure AWT draws on {@code display}.
     *
     * @throws InvalidStateException when no display is configured, AWT is headless, or AWT already draws elsewhere
     */
    synchronized void bind(String display) {
        if (display == null || display.isBlank() || display.equals("none")) {
            throw new InvalidStateException("GUI qubes are refused: no dom0 display is configured; set display in the"
                    + " configuration " + GuiConfig.PID + " (e.g. :0)");
        }
        if (!display.matches(":[0-9]{1,5}(\\.[0-9]{1,3})?")) {
            throw new InvalidStateException("GUI qubes are refused: display " + display + " in " + GuiConfig.PID
                    + " is not a local X display such as :0");
        }
        if (bound != null && !bound.equals(display)) {
            throw new InvalidStateException("GUI qubes are refused: dom0's windows are on display " + bound
                    + "; restart Bulkhead to move them to " + display);
        }
        if (bound == null) {
            libc.setenv("DISPLAY", display, 1);
            // AWT decides on headless from Java's copy of the environment, read at start; say it here instead.
            if (System.getProperty("java.awt.headless") == null) {
                System.setProperty("java.awt.headless", "false");
            }
            if (GraphicsEnvironment.isHeadless()) {
                throw new InvalidStateException("GUI qubes are refused: this Java runs headless (java.awt.headless=true"
                        + " or a JDK without AWT); a full JDK is needed");
            }
            bound = display;
        }
    }
}
