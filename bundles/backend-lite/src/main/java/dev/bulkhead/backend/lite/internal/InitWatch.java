package dev.bulkhead.backend.lite.internal;

import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;

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
    private static final Path DEV_NULL = Path.of("/dev/null");
    private static final String HELPER = String.join("\n",
            "my $fd = syscall(434, $ARGV[0] + 0, 0);", // pidfd_open: 434 on every architecture
            "if ($fd < 0) { exit($!{ESRCH} ? 0 : 2); }",
            "my $r = ''; vec($r, $fd, 1) = 1; vec($r, 0, 1) = 1;",
            "select($r, undef, undef, undef);",
            "exit(vec($r, $fd, 1) ? 0 : 3);");

    /** A helper is never awaited: it ends by the init's death, by a stop, or with the platform. */
    private static final Duration NEVER_AWAITED = Duration.ZERO;

    private final Path proc;
    private final String perl;
    private final HostCommands host;
    private final Consumer<String> onDeath;
    private final Map<String, HostCommands.Started> helpers = new ConcurrentHashMap<>();
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
    InitWatch(Path proc, String perl, HostCommands host, Consumer<String> onDeath) {
        this.proc = proc;
        this.perl = perl;
        this.host = host;
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
        HostCommands.Started helper;
        try {
            helper = host.start(HostCommand.of(NEVER_AWAITED, perl, "-e", HELPER, Long.toString(pid)).withStdinHeldOpen()
                    .withOutputTo(DEV_NULL));
        } catch (AdminException e) {
            if (!warned) {
                warned = true;
                LOG.log(Level.WARNING, "cannot watch container inits (" + e.getMessage() + "); their deaths are noticed"
                        + " only by polling");
            }
            return;
        }
        HostCommands.Started earlier = helpers.put(domain, helper);
        if (earlier != null) {
            earlier.stop();
        }
        helper.onExit().thenAcceptAsync(ended -> {
            // a watch that was stopped or replaced meanwhile speaks for no death
            if (helpers.remove(domain, helper) && ended.exitStatus() == DIED) {
                onDeath.accept(domain);
            }
        }, deaths);
    }

    boolean watches(String domain) {
        return helpers.containsKey(domain);
    }

    /** Stops watching the domain: its init's end from now on is expected. */
    void forget(String domain) {
        HostCommands.Started helper = helpers.remove(domain);
        if (helper != null) {
            helper.stop();
        }
    }

    void close() {
        helpers.keySet().forEach(this::forget);
        deaths.shutdown();
    }
}
