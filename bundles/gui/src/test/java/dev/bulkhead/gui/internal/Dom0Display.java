package dev.bulkhead.gui.internal;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * dom0's display for the daemon tests: AWT binds a process to one display for its life, so the
 * test JVM shares one Xvfb, started on first use and killed once the JVM has exited. Qube displays are
 * each test's own.
 */
final class Dom0Display {
    private static Xvfb xvfb;

    private Dom0Display() {
    }

    static synchronized Xvfb get() {
        if (xvfb == null) {
            try {
                xvfb = Xvfb.startUntilJvmExit();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return xvfb;
    }
}
