package dev.bulkhead.backend.qemu.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.host.WatchedProcess;

/**
 * QEMU processes seen through procfs. A domain's process is the one its pid file names, and only while that
 * process's command line names the same pid file: a pid reused by another program is never taken for it.
 */
final class QemuProcesses {
    /** The kernel's USER_HZ, in which /proc/PID/stat counts CPU time; 100 on every Linux architecture Bulkhead runs on. */
    private static final long TICKS_PER_SECOND = 100;

    private final Path proc;

    QemuProcesses(Path proc) {
        this.proc = proc;
    }

    /**
     * Waits, at most {@code timeout}, until every thread of a QEMU that ended is gone. Its main thread shows as a zombie
     * while the others are still ending, and the files they share, its disk images with their locks among them, are
     * closed only once the last one has: a start that probes such an image's lock before then finds it held. A pid
     * reused meanwhile ends the wait at the timeout at worst.
     */
    void awaitThreadsGone(WatchedProcess qemu, java.time.Duration timeout) {
        Path tasks = proc.resolve(Long.toString(qemu.pid())).resolve("task");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0) {
            try (Stream<Path> threads = Files.list(tasks)) {
                if (threads.limit(2).count() <= 1) {
                    return;
                }
            } catch (IOException e) {
                return; // reaped: nothing of it is left
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The live QEMU process of the domain whose pid file this is, watched by pid and start time. */
    Optional<WatchedProcess> running(Path pidFile) {
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).strip());
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        // watched before the command line is read: a pid reused after that read is not the process it named
        Optional<WatchedProcess> process = WatchedProcess.of(pid);
        return isQemuOf(pid, pidFile) ? process.filter(WatchedProcess::isAlive) : Optional.empty();
    }

    private boolean isQemuOf(long pid, Path pidFile) {
        try {
            byte[] raw = Files.readAllBytes(proc.resolve(Long.toString(pid)).resolve("cmdline"));
            List<String> argv = Arrays.asList(new String(raw, StandardCharsets.UTF_8).split("\0"));
            int i = argv.indexOf("-pidfile");
            return i >= 0 && i + 1 < argv.size() && argv.get(i + 1).equals(pidFile.toString());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The live processes whose command line names a pid file {@code <domains>/<name>/qemu.pid}, by pid, each with
     * its domain's name: the QEMUs of this instance, whether or not their pid files were ever written.
     */
    Map<Long, String> ofDomainsUnder(Path domains) {
        Map<Long, String> found = new TreeMap<>();
        try (Stream<Path> entries = Files.list(proc)) {
            for (Path dir : entries.filter(d -> d.getFileName().toString().matches("[0-9]+")).toList()) {
                long pid = Long.parseLong(dir.getFileName().toString());
                List<String> argv;
                try {
                    argv = Arrays.asList(new String(Files.readAllBytes(dir.resolve("cmdline")), StandardCharsets.UTF_8).split("\0"));
                } catch (IOException e) {
                    continue; // ended meanwhile
                }
                int i = argv.indexOf("-pidfile");
                if (i < 0 || i + 1 >= argv.size()) {
                    continue;
                }
                Path pidFile = Path.of(argv.get(i + 1));
                Path domain = pidFile.getParent();
                if (domain != null && domains.equals(domain.getParent()) && pidFile.getFileName().toString().equals("qemu.pid") && WatchedProcess.of(pid).isPresent()) {
                    found.put(pid, domain.getFileName().toString());
                }
            }
        } catch (IOException e) {
            throw new AdminException("cannot list the processes in " + proc + ": " + e.getMessage(), e);
        }
        return found;
    }

    /** CPU time (user and system) in nanoseconds and resident memory in bytes, while the process lives. */
    Optional<long[]> usage(long pid) {
        try {
            Path dir = proc.resolve(Long.toString(pid));
            String[] stat = fieldsAfterName(Files.readString(dir.resolve("stat")));
            long ticks = Long.parseLong(stat[11]) + Long.parseLong(stat[12]);
            long rssKiB = Files.readAllLines(dir.resolve("status")).stream().filter(l -> l.startsWith("VmRSS:"))
                    .mapToLong(l -> Long.parseLong(l.split("\\s+")[1])).findFirst().orElse(0);
            return Optional.of(new long[] { ticks * (1_000_000_000L / TICKS_PER_SECOND), rssKiB * 1024 });
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The fields of /proc/PID/stat from the third (state) on: the name in parentheses may hold spaces. */
    private static String[] fieldsAfterName(String stat) {
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }
}
