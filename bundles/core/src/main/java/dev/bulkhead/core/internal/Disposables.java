package dev.bulkhead.core.internal;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeProperty;

/**
 * Disposables, as Qubes' {@code qvm-run --dispvm}: made from a disposable template, gone when they
 * stop, and a pool of them kept started and paused, ready to hand out. They are started, paused
 * and removed through the platform's own {@link QubeAdmin} operations, as any qube is. The pool
 * follows the platform's events through {@link PreloadRefills}.
 */
final class Disposables {
    private static final System.Logger LOG = QubeAdminService.LOG;
    /** Feature of a disposable template: how many of its disposables are kept started and ready, as in Qubes 4.3. */
    static final String PRELOAD_MAX = FeatureRules.PRELOAD_MAX;
    /** Feature of a disposable template that the platform keeps: the names of its ready disposables. */
    static final String PRELOADED = FeatureRules.PRELOADED;
    private static final int MAX_PRELOAD = FeatureRules.MAX_PRELOAD;
    /** How long after a preloaded disposable is handed out its successor is started: at once, it would compete with it for the lock and CPUs. */
    private static final long REFILL_DELAY_MS = 1000;

    private final QubeRegistry registry;
    private final RuntimeState state;
    private final QubeAdmin admin;
    private final ReentrantLock lifecycle;
    private final HostWork hostWork;
    private final ScheduledExecutorService worker;
    private final EventDispatcher events;

    Disposables(QubeRegistry registry, RuntimeState state, QubeAdmin admin, ReentrantLock lifecycle, HostWork hostWork,
            ScheduledExecutorService worker, EventDispatcher events) {
        this.registry = registry;
        this.state = state;
        this.admin = admin;
        this.lifecycle = lifecycle;
        this.hostWork = hostWork;
        this.worker = worker;
        this.events = events;
        events.add(new PreloadRefills(worker, this::refillPreloaded, REFILL_DELAY_MS));
    }

    Qube create(String dispvmTemplate) {
        return hostWork.call(() -> createShielded(dispvmTemplate));
    }

    private Qube createShielded(String dispvmTemplate) {
        String template = dispvmTemplate(dispvmTemplate);
        Qube ready = takePreloaded(template);
        if (ready != null) {
            return ready;
        }
        String name = newDisposable(template);
        admin.start(name);
        return admin.get(name);
    }

    ExecResult run(String dispvmTemplate, List<String> command, byte[] stdin, Duration timeout) {
        if (command == null || command.isEmpty()) {
            throw new InvalidValueException("command", "", "a command to run is required");
        }
        String name = create(dispvmTemplate).name();
        try {
            return state.backend().exec(name, command, stdin == null ? new byte[0] : stdin,
                    timeout == null ? Duration.ofMinutes(10) : timeout);
        } finally {
            try {
                admin.kill(name);
            } catch (AdminException e) {
                // it stopped by itself meanwhile; it goes all the same
                discardIfDisposable(name);
            }
        }
    }

    /** The disposable template asked for, or the global default; refused unless it is an AppVM with template_for_dispvms=True. */
    private String dispvmTemplate(String asked) {
        Model m = registry.model();
        String template = asked == null || asked.isBlank() ? m.global.getOrDefault(PropertyRules.DEFAULT_DISPVM, "") : asked;
        if (template.isEmpty()) {
            throw new InvalidValueException("default_dispvm", "", "no disposable template was given and the global default_dispvm"
                    + " is not set; name one, or set it with qvm:globalprefs default_dispvm");
        }
        QubeRecord t = m.qubes.get(template);
        if (t == null || !PropertyRules.isDispvmTemplate(m, t)) {
            throw new InvalidValueException("disposable template", template, "an AppVM with template_for_dispvms=True");
        }
        return template;
    }

    /** Adds {@code disp<N>}, a DispVM of the template that goes when it stops; N is free and random, as Qubes' dispid. */
    private String newDisposable(String template) {
        return registry.changeYielding(m -> {
            QubeRecord t = m.qubes.get(template);
            if (t == null || !PropertyRules.isDispvmTemplate(m, t)) {
                throw new InvalidValueException("disposable template", template, "an AppVM with template_for_dispvms=True");
            }
            String name = freeDisposableName(m);
            QubeRecord d = new QubeRecord(name, QubeRegistry.freeQid(m), QubeClass.DispVM,
                    Map.of(QubeProperty.LABEL.id(), PropertyRules.effective(m, t, QubeProperty.LABEL).value(),
                            QubeProperty.TEMPLATE.id(), template, QubeProperty.AUTO_CLEANUP.id(), "True"),
                    Map.of(), List.of());
            m.qubes.put(name, d);
            return new QubeRegistry.Saved<>(name, () -> events.fire(QubeEvent.DOMAIN_ADD, name, Map.of("template", template)));
        });
    }

    private static String freeDisposableName(Model m) {
        java.util.Set<String> taken = new java.util.HashSet<>(m.qubes.keySet());
        taken.addAll(m.unreadableNames());
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 100; attempt++) {
            String name = "disp" + random.nextInt(1, 10_000);
            if (!taken.contains(name)) {
                return name;
            }
        }
        for (int n = 1; n < 10_000; n++) {
            if (!taken.contains("disp" + n)) {
                return "disp" + n;
            }
        }
        throw new InvalidStateException("every disposable name disp1 to disp9999 is taken");
    }

    /** Removes a halted disposable that goes when it stops, with everything it had; logs what it cannot. */
    void discardIfDisposable(String name) {
        QubeRecord q = registry.model().qubes.get(name);
        if (q == null || q.klass != QubeClass.DispVM || !"True".equals(q.own(QubeProperty.AUTO_CLEANUP.id())) || state.isActive(name)) {
            return;
        }
        try {
            admin.remove(name);
        } catch (AdminException e) {
            LOG.log(Level.WARNING, "cannot remove the disposable " + name + ": " + e.getMessage());
        }
    }

    private static List<String> preloadedOf(QubeRecord q) {
        String list = q.features.getOrDefault(PRELOADED, "");
        return list.isBlank() ? List.of() : List.of(list.strip().split(" +"));
    }

    /** Changes the list of a template's ready disposables within a change of the model. */
    static void updatePreloaded(QubeRecord t, Consumer<List<String>> update) {
        List<String> list = new ArrayList<>(preloadedOf(t));
        update.accept(list);
        if (list.isEmpty()) {
            t.features.remove(PRELOADED);
        } else {
            t.features.put(PRELOADED, String.join(" ", list));
        }
    }

    /** Hands out one of the template's ready disposables, running; {@code null} when it has none. */
    private Qube takePreloaded(String template) {
        lifecycle.lock();
        try {
            for (String name : preloadedOf(registry.model().qubes.get(template))) {
                registry.change(m -> {
                    updatePreloaded(m.qubes.get(template), list -> list.remove(name));
                    return () -> events.fire(QubeEvent.FEATURE_SET + PRELOADED, template);
                });
                QubeRecord d = registry.model().qubes.get(name);
                if (d == null || d.klass != QubeClass.DispVM || !state.isActive(name)) {
                    continue;
                }
                if (state.stateOf(d) == PowerState.Paused) {
                    admin.unpause(name);
                }
                return admin.get(name);
            }
            return null;
        } finally {
            lifecycle.unlock();
        }
    }

    /**
     * Keeps as many disposables of each template ready, started and paused, as its
     * {@value #PRELOAD_MAX} feature asks, and no more. Runs on the platform's worker thread.
     */
    void refillPreloaded() {
        if (state.adopted() == null) {
            return;
        }
        for (QubeRecord t : registry.model().qubes.values()) {
            int max = preloadMax(t);
            List<String> ready = preloadedOf(t).stream().filter(n -> registry.model().qubes.containsKey(n) && state.isActive(n)).toList();
            if (!ready.equals(preloadedOf(t))) {
                registry.change(m -> {
                    updatePreloaded(m.qubes.get(t.name), list -> list.retainAll(ready));
                    return () -> events.fire(QubeEvent.FEATURE_SET + PRELOADED, t.name);
                });
            }
            if (max > 0 && !PropertyRules.isDispvmTemplate(registry.model(), t)) {
                continue;
            }
            for (int missing = max - ready.size(); missing > 0; missing--) {
                try {
                    String name = newDisposable(t.name);
                    admin.start(name);
                    admin.pause(name);
                    registry.change(m -> {
                        updatePreloaded(m.qubes.get(t.name), list -> list.add(name));
                        return () -> events.fire(QubeEvent.FEATURE_SET + PRELOADED, t.name, Map.of("value", name));
                    });
                } catch (AdminException e) {
                    LOG.log(Level.WARNING, "cannot preload a disposable of " + t.name + ": " + e.getMessage());
                    break;
                }
            }
            for (String extra : ready.subList(Math.min(max, ready.size()), ready.size())) {
                try {
                    admin.kill(extra);
                } catch (AdminException e) {
                    LOG.log(Level.WARNING, "cannot stop the preloaded disposable " + extra + ": " + e.getMessage());
                }
            }
        }
    }

    private static int preloadMax(QubeRecord q) {
        String value = q.features.get(PRELOAD_MAX);
        return value == null || !value.matches("[0-9]{1,2}") ? 0 : Math.min(MAX_PRELOAD, Integer.parseInt(value));
    }
}
