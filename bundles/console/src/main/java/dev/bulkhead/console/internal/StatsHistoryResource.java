package dev.bulkhead.console.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import com.fasterxml.jackson.annotation.JsonProperty;

import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeProperty;

/**
 * {@code GET /api/stats/history}: the CPU and memory samples {@link StatsSampler} keeps, of every
 * qube or of one ({@code ?qube=NAME}), from the last {@code ?minutes=N} (all it keeps by default),
 * each qube with its memory settings, so that a chart shows its use against its limit.
 */
final class StatsHistoryResource {
    record SampleForm(long time, @JsonProperty("cpu_percent") Double cpuPercent, @JsonProperty("memory_bytes") long memoryBytes,
            boolean running) {
    }

    record QubeHistory(@JsonProperty("memory_mib") Integer memoryMib, @JsonProperty("maxmem_mib") Integer maxmemMib,
            List<SampleForm> samples) {
    }

    record HistoryForm(String time, @JsonProperty("period_seconds") long periodSeconds, @JsonProperty("retention_minutes") long retentionMinutes,
            long minutes, Map<String, QubeHistory> qubes) {
    }

    private final QubeAdmin admin;
    private final Supplier<StatsSampler> sampler;

    StatsHistoryResource(QubeAdmin admin, Supplier<StatsSampler> sampler) {
        this.admin = admin;
        this.sampler = sampler;
    }

    ApiResponse get(ApiRequest r) {
        StatsSampler s = sampler.get();
        if (s == null) {
            throw new ApiException(503, "unavailable", "No history", "the stats sampler does not run; see the log");
        }
        StatsHistory history = s.history();
        long retention = history.retention().toMinutes();
        long minutes = minutes(r.parameter("minutes"), retention);
        String only = r.parameter("qube");
        if (only != null) {
            admin.get(only);
        }
        Instant now = s.now();
        Map<String, QubeHistory> qubes = new LinkedHashMap<>();
        Map<String, List<StatsHistory.Sample>> all = history.since(now.minus(Duration.ofMinutes(minutes)));
        for (Qube q : admin.list()) {
            List<StatsHistory.Sample> samples = all.get(q.name());
            if (q.qid() == 0 || only != null && !only.equals(q.name()) || samples == null && only == null) {
                continue;
            }
            qubes.put(q.name(), new QubeHistory(mib(q, QubeProperty.MEMORY), mib(q, QubeProperty.MAXMEM), samples == null ? List.of()
                    : samples.stream().map(x -> new SampleForm(x.time(), x.cpuPercent(), x.memoryBytes(), x.cpuNanos() >= 0)).toList()));
        }
        return ApiResponse.json(200, new HistoryForm(now.toString(), history.period().toSeconds(), retention, minutes, qubes));
    }

    private static long minutes(String value, long retention) {
        if (value == null) {
            return retention;
        }
        try {
            long m = Long.parseLong(value);
            if (m >= 1 && m <= retention) {
                return m;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.invalid("parameter 'minutes' must be a whole number from 1 to " + retention + " (the minutes kept), found '"
                + (value.length() > 20 ? value.substring(0, 20) + "…" : value) + "'");
    }

    private static Integer mib(Qube q, QubeProperty p) {
        var v = q.properties().get(p.id());
        try {
            return v == null ? null : Integer.valueOf(v.value());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
