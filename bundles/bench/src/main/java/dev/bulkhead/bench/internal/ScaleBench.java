package dev.bulkhead.bench.internal;

import static dev.bulkhead.bench.internal.BenchFigures.ms;
import static dev.bulkhead.bench.internal.BenchFigures.percentile;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.firewall.FirewallRule;

/**
 * Scale: the same operations at 1 running client qube and at {@code n}, all lite AppVMs behind one firewall qube of
 * their own (feature {@code role=firewall}, no netvm: no traffic leaves it): {@code qvm:ls}, a start, a stop (a graceful
 * shutdown, waited for) and a firewall change of one more qube, then 25 qubes started at once from one {@code qvm:start}
 * and from 25 concurrent shell sessions (each on a thread of its own, as the sessions of 25 {@code bin/client}
 * connections are), with every start that failed counted and said, and the platform's resident memory per running qube.
 * Every qube it made is removed at the end, whatever happened.
 */
final class ScaleBench {
    static final String NAME = BenchCommand.PREFIX + "scale-";
    private static final String FIREWALL = NAME + "fw";
    private static final String PROBE = NAME + "probe";
    static final int PARALLEL = 25;
    /** Rounds at each number of qubes: each is a start and a stop of the probe, at most this many keep the section short. */
    static final int MAX_ROUNDS = 10;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    /** At most this many refusals are listed; the count says how many there were. */
    private static final int ERRORS_LISTED = 5;

    private final QubeAdmin admin;
    private final CommandProcessor shell;
    private final List<String> made = Collections.synchronizedList(new ArrayList<>());

    ScaleBench(QubeAdmin admin, CommandProcessor shell) {
        this.admin = admin;
        this.shell = shell;
    }

    void measure(ObjectNode out, int n, int rounds) throws Exception {
        long began = System.nanoTime();
        out.put("running_qubes", n);
        out.put("rounds", rounds);
        try {
            create(FIREWALL, Map.of("provides_network", "True"));
            admin.setFeature(FIREWALL, "role", "firewall");
            admin.start(FIREWALL);
            create(PROBE, Map.of("netvm", FIREWALL));

            parallelStarts(out.putObject("parallel_start"));

            Timings one = timings(rounds);
            long rssOne = BenchHost.rssKb();
            List<Long> fill = new ArrayList<>();
            ObjectNode filling = out.putObject("fill");
            int failed = 0;
            List<String> errors = new ArrayList<>();
            for (int i = 0; i < n - 1; i++) {
                String name = NAME + i;
                create(name, Map.of("netvm", FIREWALL));
                long t0 = System.nanoTime();
                try {
                    admin.start(name);
                    fill.add(System.nanoTime() - t0);
                } catch (RuntimeException e) {
                    failed++;
                    errors.add(name + ": " + e.getMessage());
                }
            }
            int running = running();
            filling.put("started", fill.size());
            filling.put("failed", failed);
            putErrors(filling, failed, errors);
            if (!fill.isEmpty()) {
                filling.put("start_first_tenth_p50_ms", ms(percentile(fill.subList(0, Math.max(1, fill.size() / 10)), 50)));
                filling.put("start_last_tenth_p50_ms", ms(percentile(fill.subList(fill.size() - Math.max(1, fill.size() / 10), fill.size()), 50)));
            }
            Timings many = timings(rounds);
            long rssMany = BenchHost.rssKb();

            out.put("running_at_n", running);
            put(out.putObject("qvm_ls_ms"), one.listings, many.listings);
            put(out.putObject("start_ms"), one.starts, many.starts);
            put(out.putObject("stop_ms"), one.stops, many.stops);
            put(out.putObject("firewall_change_ms"), one.firewall, many.firewall);
            ObjectNode rss = out.putObject("platform_rss_mb");
            rss.put("at_1", rssOne / 1024);
            rss.put("at_n", rssMany / 1024);
            // the probe runs in neither reading: the firewall qube and the client qubes
            rss.put("per_qube_kb", running > 1 ? Math.round((rssMany - rssOne) * 10.0 / (running - 1)) / 10.0 : -1);
        } finally {
            cleanUp();
            out.put("took_s", Math.round((System.nanoTime() - began) / 1e8) / 10.0);
        }
    }

    /** The figures measured at one number of running qubes, the probe started and stopped {@code rounds} times. */
    private record Timings(List<Long> listings, List<Long> starts, List<Long> stops, List<Long> firewall) {
    }

    private Timings timings(int rounds) throws Exception {
        Timings t = new Timings(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < rounds; i++) {
            t.listings().add(timedShell("qvm:ls"));
            long t0 = System.nanoTime();
            admin.start(PROBE);
            t.starts().add(System.nanoTime() - t0);
            // rules that differ from the last ones each time, so that every change is a change
            List<FirewallRule> rules = List.of(
                    FirewallRule.parse("action=accept proto=tcp dsthost=198.18.0." + (i % 250 + 1) + " dstports=443", Instant.now()),
                    FirewallRule.parse("action=drop", Instant.now()));
            long t1 = System.nanoTime();
            admin.setFirewallRules(PROBE, rules);
            t.firewall().add(System.nanoTime() - t1);
            long t2 = System.nanoTime();
            admin.shutdown(PROBE, false, true, STOP_TIMEOUT);
            t.stops().add(System.nanoTime() - t2);
        }
        return t;
    }

    private static void put(ObjectNode out, List<Long> one, List<Long> many) {
        long a = percentile(one, 50);
        long b = percentile(many, 50);
        out.put("at_1_p50", ms(a));
        out.put("at_n_p50", ms(b));
        out.put("at_n_max", ms(percentile(many, 100)));
        out.put("ratio_p50", BenchFigures.ratio(b, a));
    }

    /** 25 qubes started from one command, then the same 25 from 25 sessions at once; every failure counted. */
    private void parallelStarts(ObjectNode out) throws Exception {
        out.put("parallel_qubes", PARALLEL);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < PARALLEL; i++) {
            names.add(NAME + "p" + i);
            create(names.get(i), Map.of("netvm", FIREWALL));
        }
        ObjectNode oneCommand = out.putObject("one_command");
        List<String> errors = new ArrayList<>();
        long t0 = System.nanoTime();
        errors.addAll(session("qvm:start " + String.join(" ", names)));
        long took = System.nanoTime() - t0;
        startFigures(oneCommand, names, errors, took);
        killAll(names);

        ObjectNode clients = out.putObject("concurrent_clients");
        List<String> clientErrors = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch ready = new CountDownLatch(PARALLEL);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (String name : names) {
            Thread thread = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                    clientErrors.addAll(session("qvm:start " + name));
                } catch (Exception e) {
                    clientErrors.add(name + ": " + e);
                }
            }, "bench-scale-client-" + name);
            threads.add(thread);
            thread.start();
        }
        ready.await();
        long t1 = System.nanoTime();
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        startFigures(clients, names, clientErrors, System.nanoTime() - t1);
        killAll(names);
    }

    private void startFigures(ObjectNode out, List<String> names, List<String> errors, long nanos) {
        int started = (int) names.stream().filter(q -> admin.get(q).state().isActive()).count();
        out.put("started", started);
        out.put("failed", names.size() - started);
        out.put("all_done_ms", ms(nanos));
        putErrors(out, names.size() - started, errors);
    }

    private static void putErrors(ObjectNode out, int failed, List<String> errors) {
        if (failed > 0 || !errors.isEmpty()) {
            ArrayNode list = out.putArray("errors");
            errors.stream().limit(ERRORS_LISTED).forEach(list::add);
        }
    }

    private void killAll(List<String> names) {
        for (String name : names) {
            if (admin.get(name).state().isActive()) {
                admin.kill(name);
            }
        }
    }

    private int running() {
        return (int) made.stream().filter(q -> !q.equals(FIREWALL) && admin.get(q).state().isActive()).count();
    }

    private void create(String name, Map<String, String> properties) {
        admin.create(new QubeSpec(name, QubeClass.AppVM, Label.GRAY, properties));
        made.add(name);
    }

    /** Every qube made, clients first, killed where running and removed; one that fails does not keep the rest. */
    private void cleanUp() {
        RuntimeException first = null;
        List<String> order = new ArrayList<>(made);
        order.remove(FIREWALL);
        order.add(FIREWALL);
        for (String name : order) {
            try {
                if (admin.find(name).isPresent()) {
                    if (admin.get(name).state().isActive()) {
                        admin.kill(name);
                    }
                    admin.remove(name);
                }
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        made.clear();
        if (first != null) {
            throw first;
        }
    }

    private long timedShell(String line) throws Exception {
        long t0 = System.nanoTime();
        List<String> errors = session(line);
        if (!errors.isEmpty()) {
            throw new IllegalStateException(line + ": " + errors);
        }
        return System.nanoTime() - t0;
    }

    /**
     * Runs a command line in a session of its own on this thread's own thread (the shell routes System.out and
     * System.err per thread) and returns what it printed on its error stream but warnings, one entry a line, with a
     * failure's reason.
     */
    private List<String> session(String line) throws InterruptedException {
        List<String> errors = new ArrayList<>();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread t = new Thread(() -> {
            PrintStream sink = new PrintStream(java.io.OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
            PrintStream errorStream = new PrintStream(err, true, StandardCharsets.UTF_8);
            CommandSession session = shell.createSession(InputStream.nullInputStream(), sink, errorStream);
            try {
                session.execute(line);
            } catch (Exception e) {
                String message = e.getMessage();
                if (message != null && !message.isBlank()) {
                    errorStream.println(message);
                }
            } finally {
                session.close();
            }
        }, "bench-scale-shell");
        t.start();
        t.join();
        // a warning (a netvm without uplink, say) is no failure
        err.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank() && !l.startsWith("warning: ")).forEach(errors::add);
        return errors;
    }
}
