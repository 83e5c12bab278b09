package dev.bulkhead.backend.lite.internal;

import java.io.File;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Tells of a container init's death as it happens, rather than at the next poll. The JVM cannot
 * wait on a process that is not its child, so a small helper that is its child does: it opens a
 * pidfd on the init (pidfd_open, Linux 5.3) and waits for it to become readable, which the kernel
 * makes it at the init's exit; the helper's own exit then reaches the JVM through its reaper. The
 * helper also ends when its stdin, a pipe from the JVM, closes, so no helper outlives the platform.
 * perl is the helper's interpreter because perl-base is part of every Debian system.
 */
final class InitWatch {
    private static final System.Logger LOG = System.getLogger(InitWatch.class.getName());
    /** Exit status of the helper when the init has ended (or was gone before the watch began). */
    private static final int DIED = 0;
    private static final String HELPER = String.join("\n",
            "my $fd = syscall(434, $ARGV[0] + 0, 0);", // pidfd_open: 434 on every architecture
            "if ($fd < 0) { exit($!{ESRCH} ? 0 : 2); }",
            "my $r = ''; vec($r, $fd, 1) = 1; vec($r, 0, 1) = 1;",
            "select($r, undef, undef, undef);",
            "exit(vec($r, $fd, 1) ? 0 : 3);");

    private final Path proc;
    private final String perl;
    private final Consumer<String> onDeath;
    private final Map<String, Process> helpers = new ConcurrentHashMap<>();
    /** Deaths are handled one at a time, off the JVM's process reaper thread. */
    private final ExecutorService deaths = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "bulkhead-lite-deaths");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean warned;

    /**
     * @param proc    the host's procfs, where a process that is gone has no entry
     * @param onDeath told the name of each watched domain whose init ended while it was watched
     */
    InitWatch(Path proc, String perl, Consumer<String> onDeath) {
        this.proc = proc;
        this.perl = perl;
        this.onDeath = onDeath;
    }

    /** Watches the domain's init, replacing an earlier watch of the domain. */
    void watch(String domain, long pid) {
        if (pid <= 0) {
            return;
        }
        if (!Files.exists(proc.resolve(Long.toString(pid)))) {
            // ended before the watch began: no helper needed to tell
            deaths.execute(() -> onDeath.accept(domain));
            return;
        }
        Process helper;
        try {
            helper = new ProcessBuilder(List.of(perl, "-e", HELPER, Long.toString(pid)))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.to(new File("/dev/null")))
                    .start();
        } catch (IOException e) {
            if (!warned) {
                warned = true;
                LOG.log(Level.WARNING, "cannot watch container inits (" + e.getMessage() + "); their deaths are noticed"
                        + " only by polling");
            }
            return;
        }
        Process earlier = helpers.put(domain, helper);
        if (earlier != null) {
            earlier.destroy();
        }
        helper.onExit().thenAcceptAsync(ended -> {
            // a watch that was stopped or replaced meanwhile speaks for no death
            if (helpers.remove(domain, ended) && ended.exitValue() == DIED) {
                onDeath.accept(domain);
            }
        }, deaths);
    }

    boolean watches(String domain) {
        return helpers.containsKey(domain);
    }

    /** Stops watching the domain: its init's end from now on is expected. */
    void forget(String domain) {
        Process helper = helpers.remove(domain);
        if (helper != null) {
            helper.destroy();
        }
    }

    void close() {
        helpers.keySet().forEach(this::forget);
        deaths.shutdown();
    }
}
