package dev.bulkhead.console.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeStats;

/**
 * Samples the CPU and memory use of every running qube every few seconds into {@link StatsHistory},
 * whether or not a console page is open, so that a chart has its history from the first paint. A new
 * configuration starts a new history.
 */
@Component(service = StatsSampler.class, configurationPid = StatsSampler.PID, immediate = true)
@Designate(ocd = StatsSampler.Config.class)
public final class StatsSampler {
    static final String PID = "dev.bulkhead.console.stats";
    private static final System.Logger LOG = System.getLogger(StatsSampler.class.getName());

    @ObjectClassDefinition(name = "Bulkhead console: CPU and memory history",
            description = "How often the console samples each running qube's CPU and memory use, and how long it keeps the samples")
    @interface Config {
        @AttributeDefinition(description = "Seconds between two samples", min = "1", max = "60")
        int period_seconds() default 2;

        @AttributeDefinition(description = "Minutes of samples kept for each qube", min = "10", max = "1440")
        int retention_minutes() default 15;
    }

    private final QubeAdmin admin;
    private final Clock clock;
    private final StatsHistory history;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bulkhead-console-stats");
        t.setDaemon(true);
        return t;
    });

    @Activate
    public StatsSampler(@Reference QubeAdmin admin, Config config) {
        this(admin, config, Clock.systemUTC());
        int period = Math.max(1, config.period_seconds());
        timer.scheduleWithFixedDelay(this::sampleLogged, 0, period, TimeUnit.SECONDS);
    }

    /** Without the timer: {@link #sample} takes each sample. */
    StatsSampler(QubeAdmin admin, Config config, Clock clock) {
        this.admin = admin;
        this.clock = clock;
        this.history = new StatsHistory(Duration.ofMinutes(Math.max(10, config.retention_minutes())),
                Duration.ofSeconds(Math.max(1, config.period_seconds())));
    }

    @Deactivate
    void deactivate() {
        timer.shutdownNow();
    }

    StatsHistory history() {
        return history;
    }

    Instant now() {
        return clock.instant();
    }

    private void sampleLogged() {
        try {
            sample();
        } catch (RuntimeException e) {
            // the next period tries again; a failing qube must not end the sampling of the others
            LOG.log(System.Logger.Level.DEBUG, "sampling the qubes' stats failed", e);
        }
    }

    /** Takes one sample of every running qube. */
    void sample() {
        List<Qube> qubes = admin.list();
        Set<String> existing = new HashSet<>();
        Map<String, QubeStats> running = new LinkedHashMap<>();
        for (Qube q : qubes) {
            existing.add(q.name());
            if (q.qid() != 0 && (q.state() == PowerState.Running || q.state() == PowerState.Paused)) {
                try {
                    admin.stats(q.name()).ifPresent(s -> running.put(q.name(), s));
                } catch (AdminException e) {
                    // it stopped or went between the list and the sample
                }
            }
        }
        history.record(running, existing, clock.instant());
    }
}
