package dev.bulkhead.bench.crash;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.host.ProcessHostCommands;
import dev.bulkhead.api.json.JsonMappers;

/**
 * Crash consistency of one installed distribution: rounds of a few random writes through {@code bin/client}
 * (create, prefs, features, tags, firewall, start, kill, remove), each round ended by {@code kill -9} of the
 * platform's JVM at a random moment, often while a command (a start or a kill above all) is in flight; then
 * {@code bin/start} and the checks: the state loads, no acknowledged write is lost (acknowledged: its
 * {@code bin/client} returned 0), and nothing of the lite backend is left on the host that no running qube
 * owns. The random choices come from one seed, so a run can be repeated.
 */
public final class CrashLoop {
    private static final List<String> QUBES = List.of("c0", "c1", "c2");
    private static final List<String> LABELS = List.of("red", "orange", "green", "blue");
    private static final String TAKE_OVER_REMOVED = "take-over of backend lite: removed ";
    /** How long a command is taken to last before one has been timed. */
    private static final long FIRST_GUESS_MS = 1000;

    /**
     * What a run found. {@code cutOff} counts, by command, the commands a kill cut off; {@code removedAtTakeOver}
     * the leftovers of crashes that the restarted platform logged as removed.
     */
    public record Report(int rounds, int acknowledgedWrites, List<String> lostWrites, List<String> leakedItems, List<String> problems,
            Map<String, Integer> cutOff, int removedAtTakeOver, Duration elapsed) {
        public String toJson() {
            ObjectMapper json = JsonMappers.create().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode o = json.createObjectNode();
            o.put("rounds", rounds).put("acknowledged_writes", acknowledgedWrites).put("lost_writes", lostWrites.size())
                    .put("leaked_items", leakedItems.size()).put("problems", problems.size()).put("leftovers_removed_at_take_over", removedAtTakeOver)
                    .put("seconds", elapsed.toMillis() / 1000.0);
            cutOff.forEach(o.putObject("cut_off_by_kill")::put);
            try {
                return json.writeValueAsString(o);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private record Mutation(String command, String qube, List<String> argv, String key, String value) {
    }

    private final Platform platform;
    private final HostLeaks host;
    private final Random random;
    private final PrintStream log;
    private final StateFacts facts = new StateFacts();
    /**
     * How long each command has lasted lately, from launching its client to its answer: a kill comes at a
     * random moment in that span, so that it hits every step of it, a start's or a kill's above all.
     */
    private final Map<String, Long> typicalMillis = new TreeMap<>();

    /**
     * @param home an installed distribution with an empty or earlier-used {@code data} directory, not running
     * @param log where each round's course goes
     */
    public CrashLoop(Path home, long seed, PrintStream log) {
        this.platform = new Platform(home, new ProcessHostCommands());
        this.host = new HostLeaks(platform.data());
        this.random = new Random(seed);
        this.log = log;
    }

    public Report run(int rounds) {
        long t0 = System.nanoTime();
        int acknowledged = 0;
        List<String> lost = new ArrayList<>();
        Set<String> leaked = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        Map<String, Integer> cutOff = new TreeMap<>();
        int removedAtTakeOver = 0;
        // The first run of an installation writes the class-data archive that later runs map, but only
        // when it exits in an orderly way: without it, every start after a kill would be slower.
        platform.start();
        platform.stop();
        platform.start();
        platform.awaitTakeOver();
        facts.reset(observe(problems, 0));
        for (int round = 1; round <= rounds; round++) {
            List<Mutation> mutations = new ArrayList<>();
            int count = 1 + random.nextInt(2);
            for (int i = 0; i < count; i++) {
                mutations.add(next());
            }
            int cut = cutIndex(mutations);
            String cutCommand = cut < mutations.size() ? mutations.get(cut).command() : "idle";
            int delay = (int) (random.nextDouble() * typicalMillis.getOrDefault(cutCommand, cut < mutations.size() ? FIRST_GUESS_MS : 300));
            StringBuilder course = new StringBuilder("round " + round + ":");
            for (int i = 0; i < cut; i++) {
                Mutation m = mutations.get(i);
                long sent = System.nanoTime();
                boolean ok = platform.client(m.argv()).succeeded();
                long took = (System.nanoTime() - sent) / 1_000_000;
                typicalMillis.merge(m.command(), took, (before, now) -> (3 * before + now) / 4);
                course.append(' ').append(String.join(" ", m.argv())).append(ok ? " [ok];" : " [refused];");
                if (ok) {
                    acknowledge(m);
                    acknowledged++;
                }
            }
            if (cut < mutations.size()) {
                Mutation m = mutations.get(cut);
                Platform.Running inFlight = platform.clientInBackground(m.argv());
                LockSupport.parkNanos(delay * 1_000_000L);
                platform.crash();
                boolean ok = inFlight.await().succeeded();
                course.append(" kill -9 ").append(delay).append(" ms into ").append(String.join(" ", m.argv()))
                        .append(ok ? " [ok before the kill]" : " [cut off]");
                if (ok) {
                    acknowledge(m);
                    acknowledged++;
                } else {
                    cutOff.merge(m.command(), 1, Integer::sum);
                    unsure(m);
                }
            } else {
                LockSupport.parkNanos(delay * 1_000_000L);
                platform.crash();
                course.append(" kill -9 when idle");
            }
            log.println(course);
            platform.start();
            platform.awaitTakeOver();
            for (String line : platform.log().lines().filter(l -> l.contains(TAKE_OVER_REMOVED)).toList()) {
                removedAtTakeOver++;
                log.println("  " + line.substring(line.indexOf(TAKE_OVER_REMOVED)));
            }
            Map<String, String> actual = observe(problems, round);
            for (String l : facts.lost(actual)) {
                lost.add("round " + round + ": " + l);
                log.println("  LOST " + l);
            }
            Set<String> running = new LinkedHashSet<>();
            actual.forEach((k, v) -> {
                if (k.endsWith("/power") && (v.equals("Running") || v.equals("Paused"))) {
                    running.add(k.substring(0, k.indexOf('/')));
                }
            });
            for (String item : host.find(running)) {
                if (leaked.add(item)) {
                    log.println("  LEAKED " + item);
                }
            }
            facts.reset(actual);
        }
        return new Report(rounds, acknowledged, lost, List.copyOf(leaked), problems, cutOff, removedAtTakeOver, Duration.ofNanos(System.nanoTime() - t0));
    }

    /** Kills and removes the qubes and stops the platform, so that nothing of it is left on the host. */
    public void close() {
        if (!platform.isRunning()) {
            platform.start();
        }
        for (String q : QUBES) {
            platform.client(List.of("qvm:kill", q));
            platform.client(List.of("qvm:remove", q));
        }
        platform.stop();
    }

    /** Where the kill comes: mostly while a start or a kill is in flight, otherwise any command or when idle. */
    private int cutIndex(List<Mutation> mutations) {
        List<Integer> lifecycle = new ArrayList<>();
        for (int i = 0; i < mutations.size(); i++) {
            String c = mutations.get(i).command();
            if (c.equals("qvm:start") || c.equals("qvm:kill")) {
                lifecycle.add(i);
            }
        }
        if (!lifecycle.isEmpty() && random.nextInt(3) > 0) {
            return lifecycle.get(random.nextInt(lifecycle.size()));
        }
        return random.nextInt(mutations.size() + 1);
    }

    /** A write that mostly makes sense for the qube as the platform last showed it, sometimes one it refuses. */
    private Mutation next() {
        String q = QUBES.get(random.nextInt(QUBES.size()));
        boolean exists = "true".equals(facts.expected(q + "/exists"));
        boolean running = "Running".equals(facts.expected(q + "/power"));
        if (!exists && random.nextInt(5) > 0) {
            String label = pick(LABELS);
            return new Mutation("qvm:create", q, List.of("qvm:create", "--label", label, q), null, label);
        }
        if (running && random.nextBoolean()) {
            // qubes run for a short part of the time: without this, kills would be few
            return new Mutation("qvm:kill", q, List.of("qvm:kill", q), q + "/power", "Halted");
        }
        int choice = random.nextInt(8);
        return switch (choice) {
            case 0 -> {
                String label = pick(LABELS);
                yield new Mutation("qvm:prefs", q, List.of("qvm:prefs", q, "label", label), q + "/label", label);
            }
            case 1 -> {
                String memory = Integer.toString(200 + 100 * random.nextInt(3));
                yield new Mutation("qvm:prefs", q, List.of("qvm:prefs", q, "memory", memory), q + "/memory", memory);
            }
            case 2 -> {
                String key = "k" + random.nextInt(2);
                String value = "v" + random.nextInt(10);
                yield new Mutation("qvm:features", q, List.of("qvm:features", q, key, value), q + "/feature/" + key, value);
            }
            case 3 -> {
                String tag = "t" + random.nextInt(3);
                yield new Mutation("qvm:tags", q, List.of("qvm:tags", q, "add", tag), q + "/tag/" + tag, "true");
            }
            case 4 -> {
                String address = "192.0.2." + (1 + random.nextInt(9));
                yield new Mutation("qvm:firewall", q, List.of("qvm:firewall", q, "add", "action=drop", "dsthost=" + address),
                        q + "/fw/" + address, "true");
            }
            case 5 -> running ? new Mutation("qvm:remove", q, List.of("qvm:remove", q), null, null)
                    : new Mutation("qvm:start", q, List.of("qvm:start", q), q + "/power", "Running");
            case 6 -> running ? new Mutation("qvm:kill", q, List.of("qvm:kill", q), q + "/power", "Halted")
                    : new Mutation("qvm:start", q, List.of("qvm:start", q), q + "/power", "Running");
            default -> running ? new Mutation("qvm:kill", q, List.of("qvm:kill", q), q + "/power", "Halted")
                    : new Mutation("qvm:remove", q, List.of("qvm:remove", q), null, null);
        };
    }

    private void acknowledge(Mutation m) {
        switch (m.command()) {
            case "qvm:create" -> facts.replaceQube(m.qube(), Map.of(m.qube() + "/exists", "true", m.qube() + "/label", m.value(),
                    m.qube() + "/memory", "default", m.qube() + "/power", "Halted"));
            case "qvm:remove" -> facts.replaceQube(m.qube(), Map.of(m.qube() + "/exists", "false"));
            default -> facts.set(m.key(), m.value());
        }
    }

    private void unsure(Mutation m) {
        if (m.key() == null) {
            facts.unsureOfQube(m.qube());
        } else {
            facts.unsure(m.key());
        }
    }

    /** The facts of the pool's qubes as the restarted platform shows them; what keeps them from being read is a problem. */
    private Map<String, String> observe(List<String> problems, int round) {
        Platform.Result ls = platform.client(List.of("qvm:ls"));
        if (!ls.succeeded()) {
            problems.add("round " + round + ": qvm:ls failed after the restart: " + ls.output());
            log.println("  PROBLEM qvm:ls failed: " + ls.output());
        }
        Map<String, String> power = new LinkedHashMap<>();
        ls.output().lines().skip(1).map(l -> l.strip().split("\\s+")).filter(f -> f.length >= 2)
                .forEach(f -> power.put(f[0], f[1]));
        Map<String, String> actual = StateFacts.read(platform.data().resolve("qubes.json"), power, QUBES);
        for (String q : QUBES) {
            boolean inFile = "true".equals(actual.get(q + "/exists"));
            if (inFile != power.containsKey(q)) {
                problems.add("round " + round + ": qube " + q + (inFile ? " is in the state file but not loaded" : " is loaded but not in the state file"));
                log.println("  PROBLEM " + problems.get(problems.size() - 1));
            }
        }
        platform.log().lines().filter(l -> l.contains(" WARNING ") && l.contains(": state file")).forEach(l -> {
            problems.add("round " + round + ": " + l);
            log.println("  PROBLEM " + l);
        });
        return actual;
    }

    private String pick(List<String> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** {@code bin/bench --crash N}: runs N rounds on a throwaway installation and prints the report as JSON. */
    public static void main(String[] args) {
        Path home = null;
        int rounds = 100;
        long seed = 1;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--home" -> home = Path.of(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--seed" -> seed = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'; usage: --home DIR [--rounds N] [--seed S]");
            }
        }
        if (home == null || rounds < 1) {
            throw new IllegalArgumentException("usage: --home DIR [--rounds N] [--seed S], with N at least 1");
        }
        System.err.println("crash loop: " + rounds + " rounds, seed " + seed);
        CrashLoop loop = new CrashLoop(home, seed, System.err);
        Report report;
        try {
            report = loop.run(rounds);
        } finally {
            loop.close();
        }
        report.lostWrites().forEach(l -> System.err.println("lost: " + l));
        report.leakedItems().forEach(l -> System.err.println("leaked: " + l));
        report.problems().forEach(l -> System.err.println("problem: " + l));
        System.out.println(report.toJson());
        System.exit(report.lostWrites().isEmpty() && report.leakedItems().isEmpty() && report.problems().isEmpty() ? 0 : 1);
    }
}
