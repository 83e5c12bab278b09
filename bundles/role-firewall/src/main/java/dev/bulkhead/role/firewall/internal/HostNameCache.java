package dev.bulkhead.role.firewall.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * What the host names of one FirewallVM's rules resolve to. Names are looked up in the background,
 * one lookup at a time, so that nobody waits on DNS to load a filter: a name without an answer yet
 * is used as one that does not resolve. Names are looked up again when {@link #refresh} finds them
 * due. When answers arrive whose addresses differ from those known, {@code changed} runs (before
 * those waiting for the answers hear of them), so the filter follows the answers. Only the names in
 * use are kept, at most {@link #MAX_NAMES}.
 */
final class HostNameCache {
    private static final System.Logger LOG = System.getLogger(HostNameCache.class.getName());
    static final int MAX_NAMES = 4096;

    /** One name's answer: its addresses, or none and why. */
    record Answer(List<String> addresses, String failure, Instant at) {
        Answer {
            addresses = List.copyOf(addresses);
        }

        boolean resolved() {
            return !addresses.isEmpty();
        }
    }

    private final Function<Collection<String>, Map<String, Answer>> lookup;
    private final Executor executor;
    private final Runnable changed;
    private final Map<String, Answer> answers = new LinkedHashMap<>();
    /** Names to look up next, with what waits for their answers. */
    private final Map<String, CompletableFuture<Void>> queued = new LinkedHashMap<>();
    /** Names being looked up now, with what waits for their answers. */
    private final Map<String, CompletableFuture<Void>> inFlight = new HashMap<>();
    private boolean running;

    /**
     * @param lookup looks names up, all at once; the answer of each name given
     * @param executor runs the lookups
     * @param changed runs after answers that changed the addresses of a name
     */
    HostNameCache(Function<Collection<String>, Map<String, Answer>> lookup, Executor executor, Runnable changed) {
        this.lookup = lookup;
        this.executor = executor;
        this.changed = changed;
    }

    /** The answers known now for these names; a name never looked up is absent. */
    synchronized Map<String, Answer> known(Collection<String> names) {
        Map<String, Answer> out = new HashMap<>();
        for (String name : names) {
            Answer a = answers.get(name);
            if (a != null) {
                out.put(name, a);
            }
        }
        return out;
    }

    /** Whether the name is being looked up, or waits to be. */
    synchronized boolean pending(String name) {
        return queued.containsKey(name) || inFlight.containsKey(name);
    }

    /**
     * Has the names looked up (those already on their way are not asked twice); the future
     * completes once each has an answer newer than this call, and the filter follows it.
     */
    CompletableFuture<Void> lookUp(Collection<String> names) {
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        boolean start;
        synchronized (this) {
            for (String name : names) {
                CompletableFuture<Void> wait = inFlight.get(name);
                if (wait == null) {
                    wait = queued.computeIfAbsent(name, n -> new CompletableFuture<>());
                }
                waits.add(wait);
            }
            start = !running && !queued.isEmpty();
            running |= start;
        }
        if (start) {
            executor.execute(this::drain);
        }
        return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new));
    }

    /**
     * Looks up again, in the background, the names in use whose answer is due: older than
     * {@code refresh} for a name that resolved, than {@code retry} for one that did not, or none yet.
     * Forgets the names not in use.
     */
    void refresh(Set<String> inUse, Instant now, Duration refresh, Duration retry) {
        List<String> due = new ArrayList<>();
        synchronized (this) {
            answers.keySet().retainAll(inUse);
            for (String name : inUse) {
                Answer a = answers.get(name);
                if (a == null || a.at().plus(a.resolved() ? refresh : retry).isBefore(now)) {
                    due.add(name);
                }
            }
        }
        if (!due.isEmpty()) {
            lookUp(due);
        }
    }

    private void drain() {
        while (true) {
            Map<String, CompletableFuture<Void>> batch;
            synchronized (this) {
                if (queued.isEmpty()) {
                    running = false;
                    return;
                }
                batch = new LinkedHashMap<>(queued);
                queued.clear();
                inFlight.putAll(batch);
            }
            Map<String, Answer> got;
            try {
                got = lookup.apply(batch.keySet());
            } catch (RuntimeException e) {
                Instant now = Instant.now();
                got = new HashMap<>();
                for (String name : batch.keySet()) {
                    got.put(name, new Answer(List.of(), String.valueOf(e.getMessage()), now));
                }
            }
            boolean differs = false;
            synchronized (this) {
                for (String name : batch.keySet()) {
                    Answer a = got.getOrDefault(name, new Answer(List.of(), "no answer", Instant.now()));
                    Answer before = answers.remove(name);
                    differs |= !a.addresses().equals(before == null ? List.of() : before.addresses());
                    answers.put(name, a);
                }
                while (answers.size() > MAX_NAMES) {
                    answers.remove(answers.keySet().iterator().next());
                }
            }
            try {
                if (differs) {
                    changed.run();
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot apply new answers for " + batch.keySet(), e);
            } finally {
                synchronized (this) {
                    inFlight.keySet().removeAll(batch.keySet());
                }
                batch.values().forEach(f -> f.complete(null));
            }
        }
    }
}
