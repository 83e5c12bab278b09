package dev.bulkhead.bench.history;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import java.io.Reader;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a bench result records about its run: the commit the installation was built from (the build writes it to
 * {@code lib/build.properties}; {@code unknown} when it was not built from git) and the machine: processor model,
 * cores, memory, kernel, Java and the load average when the run started. Read from {@code /proc}, each fact that
 * cannot be read is {@code unknown} rather than a failure.
 */
final class MachineFacts {
    static final String BUILD_FILE = "lib/build.properties";
    static final String UNKNOWN = "unknown";

    private MachineFacts() {
    }

    /** The facts of this machine now, for an installation at {@code home}. */
    static ObjectNode collect(Path home) {
        ObjectNode run = new ObjectMapper().createObjectNode();
        Properties build = build(home);
        run.put("commit", build.getProperty("commit", UNKNOWN));
        run.put("dirty", Boolean.parseBoolean(build.getProperty("dirty", "false")));
        ObjectNode m = run.putObject("machine");
        m.put("cpu_model", read("/proc/cpuinfo").map(MachineFacts::cpuModel).orElse(UNKNOWN));
        m.put("cores", Runtime.getRuntime().availableProcessors());
        read("/proc/meminfo").map(MachineFacts::memoryMb).ifPresentOrElse(mb -> m.put("memory_mb", mb), () -> m.put("memory_mb", -1));
        m.put("kernel", read("/proc/sys/kernel/osrelease").map(String::strip).orElse(System.getProperty("os.version", UNKNOWN)));
        m.put("java", System.getProperty("java.vendor", "") + " " + System.getProperty("java.runtime.version", UNKNOWN));
        m.put("load_average", read("/proc/loadavg").map(MachineFacts::loadAverage).orElse(UNKNOWN));
        return run;
    }

    /** The build's facts, empty when the installation has none (or cannot be read). */
    static Properties build(Path home) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(home.resolve(BUILD_FILE))) {
            p.load(r);
        } catch (IOException e) {
            // not built by this build, or not readable: the commit is unknown
        }
        return p;
    }

    /** The first {@code model name} of {@code /proc/cpuinfo} (x86), else its {@code Hardware} or {@code Processor} line. */
    static String cpuModel(String cpuinfo) {
        for (String key : new String[] { "model name", "Hardware", "Processor", "cpu model" }) {
            for (String line : cpuinfo.lines().toList()) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).strip().equals(key) && !line.substring(colon + 1).isBlank()) {
                    return line.substring(colon + 1).strip().replaceAll("\\s+", " ");
                }
            }
        }
        return UNKNOWN;
    }

    /** {@code MemTotal} of {@code /proc/meminfo} in MiB, or -1. */
    static long memoryMb(String meminfo) {
        return meminfo.lines().filter(l -> l.startsWith("MemTotal:")).findFirst()
                .map(l -> l.replaceAll("[^0-9]", "")).filter(s -> !s.isEmpty()).map(s -> Long.parseLong(s) / 1024).orElse(-1L);
    }

    /** The 1, 5 and 15 minute load averages of {@code /proc/loadavg}, as it writes them. */
    static String loadAverage(String loadavg) {
        String[] f = loadavg.strip().split("\\s+");
        return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : UNKNOWN;
    }

    private static Optional<String> read(String file) {
        try {
            return Optional.of(Files.readString(Path.of(file)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
