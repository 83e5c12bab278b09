package dev.bulkhead.shell.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.bulkhead.api.Qube;
import dev.bulkhead.api.command.CommandLine;
import dev.bulkhead.api.gui.GuiFeature;

/**
 * How {@code qvm:run --gui} starts a program on a qube's own display: the program and its arguments
 * are an argument vector, handed to the qube's shell as positional parameters ({@code "$@"}) and never
 * as text it parses, so no argument can become a second command. The shell waits for the qube's X
 * server (which starts with the qube), starts the program in the background with {@code DISPLAY=:0}
 * and its standard streams on /dev/null, prints its pid and returns: the program lives on with the
 * qube, adopted by its init.
 */
final class GuiLaunch {
    /** The qube's own display, the one its X server serves and its GUI agent shows in dom0. */
    static final String DISPLAY = ":0";
    /** That display's socket inside the qube. */
    static final String X_SOCKET = "/tmp/.X11-unix/X0";
    /** Tenths of a second to wait for the X server of a qube that is just starting. */
    static final int DISPLAY_WAIT_TENTHS = 200;
    /** $1 is the socket to wait for; the rest is the program's argument vector. */
    private static final String SCRIPT = "sock=$1; shift; "
            + "command -v \"$1\" >/dev/null 2>&1 || { printf \"no program '%s' in this qube\\n\" \"$1\" >&2; exit 127; }; "
            + "i=0; while [ ! -S \"$sock\" ]; do "
            + "if [ $i -ge " + DISPLAY_WAIT_TENTHS + " ]; then echo \"the qube's display " + DISPLAY + " is not up after "
            + DISPLAY_WAIT_TENTHS / 10 + " seconds (see /tmp/Xvfb.log in the qube)\" >&2; exit 1; fi; "
            + "sleep 0.1; i=$((i+1)); done; "
            + "DISPLAY=" + DISPLAY + " \"$@\" </dev/null >/dev/null 2>&1 & echo $!";

    private GuiLaunch() {
    }

    /** What runs in the qube to start {@code argv} on its display. */
    static List<String> command(List<String> argv) {
        return command(argv, X_SOCKET);
    }

    /** The same, waiting for the X server socket {@code socket}. */
    static List<String> command(List<String> argv, String socket) {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", SCRIPT, "qvm-run-gui", socket));
        command.addAll(argv);
        return command;
    }

    /** Why a program cannot be started on {@code qube}'s display, if it cannot. */
    static Optional<String> refusal(Qube qube, boolean daemonPresent) {
        if (!GuiFeature.isOn(qube)) {
            return Optional.of("qube " + qube.name() + " has no display of its own: its feature " + GuiFeature.NAME
                    + " is off (set it while the qube is halted: qvm:features " + qube.name() + " " + GuiFeature.NAME + " 1)");
        }
        if (!daemonPresent) {
            return Optional.of("dom0 has no GUI daemon to show the windows of qube " + qube.name() + ": feature:install gui");
        }
        return Optional.empty();
    }

    /** The line that reports a start, from what the launching shell printed (the program's pid). */
    static String started(String qube, String program, String launcherOutput) {
        String pid = launcherOutput.strip();
        return "started " + CommandLine.printable(program) + " in " + qube + " on display " + DISPLAY
                + (pid.matches("[0-9]{1,10}") ? " (pid " + pid + ")" : "");
    }
}
