package dev.bulkhead.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;

import org.osgi.service.cm.ConfigurationAdmin;

/**
 * dom0's display for the GUI tests: an Xvfb of the test's own, on a display number it picks free, and the
 * GUI daemon configured to draw on it. AWT binds a JVM to the first display it opens, for the JVM's life;
 * so the Xvfb lives as long as the JVM and is shared by every test in it, across the frameworks Pax Exam
 * makes (hence a system property, not a static field of a class each framework loads anew), and the build
 * runs each GUI test class in a JVM of its own (integration-tests/pom.xml).
 */
final class Dom0Xvfb {
    static final String GUI_PID = "dev.bulkhead.gui";
    private static final String PROPERTY = "bulkhead.it.dom0.display";

    private Dom0Xvfb() {
    }

    /**
     * The display, started on first use. The shell that starts Xvfb kills it once its input pipe closes,
     * which happens when this JVM exits however it exits; the pipe's process is held until then.
     */
    static String display() throws IOException {
        synchronized (System.getProperties()) {
            String display = System.getProperty(PROPERTY);
            if (display != null) {
                return display;
            }
            Process p = new ProcessBuilder("sh", "-c", "Xvfb -displayfd 1 -noreset -nolisten tcp -screen 0 1024x768x24 & x=$!; read -r _; kill $x")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String number = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            if (number == null || !number.strip().matches("[0-9]+")) {
                p.destroyForcibly();
                throw new IOException("Xvfb did not report a display number: " + number);
            }
            // A shutdown hook is reachable until the JVM exits: it keeps the process, hence its pipe, open till then.
            Runtime.getRuntime().addShutdownHook(new Thread(p::pid, "dom0-xvfb-holder"));
            display = ":" + number.strip();
            System.setProperty(PROPERTY, display);
            return display;
        }
    }

    /** Sets the GUI daemon's {@code display}, as a user would in etc/dev.bulkhead.gui.cfg. */
    static void configure(ConfigurationAdmin configAdmin, String display) throws IOException {
        Dictionary<String, Object> settings = new Hashtable<>(Map.of("display", display));
        configAdmin.getConfiguration(GUI_PID, "?").update(settings);
    }
}
