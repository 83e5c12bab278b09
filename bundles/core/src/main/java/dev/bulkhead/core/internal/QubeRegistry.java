package dev.bulkhead.core.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.NoSuchQubeException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.json.JsonMappers;

/**
 * The qubes' model and the state file behind it. Every change is made on a copy of the model,
 * validated whole, saved, and only then published; readers see one model or the next, never a
 * change half made.
 */
final class QubeRegistry {
    /** Name of the TemplateVM a fresh platform starts with, on the backend's built-in root. */
    static final String FIRST_TEMPLATE = "minimal";

    private final Path dataDir;
    private final StateStore store;
    private final Object lock = new Object();
    private volatile Model model;

    /** A change to a copy of the model; returns the event to fire once it is saved. */
    interface Change {
        Runnable apply(Model copy);
    }

    /** A change to a copy of the model that also yields a result, such as a name it chose. */
    interface Yielding<T> {
        Saved<T> apply(Model copy);
    }

    /** What a {@link Yielding} change yields, and the event to fire once it is saved. */
    record Saved<T>(T result, Runnable event) {
    }

    QubeRegistry(Path dataDir) throws IOException {
        this.dataDir = dataDir;
        Files.createDirectories(dataDir);
        this.store = new StateStore(dataDir, JsonMappers.create());
        Model loaded = store.load();
        store.problems().forEach(p -> QubeAdminService.LOG.log(Level.WARNING, p));
        this.model = loaded;
        if (!Files.exists(store.file())) {
            seedFirstTemplate();
        }
    }

    /** A fresh platform gets one TemplateVM on the backend's built-in root, so AppVMs can be made at once. */
    private void seedFirstTemplate() {
        synchronized (lock) {
            Model m = model.copy();
            m.qubes.put(FIRST_TEMPLATE, new QubeRecord(FIRST_TEMPLATE, 1, QubeClass.TemplateVM,
                    Map.of(QubeProperty.LABEL.id(), "black"), Map.of(), List.of()));
            m.global.put(PropertyRules.DEFAULT_TEMPLATE, FIRST_TEMPLATE);
            store.save(m);
            model = m;
        }
    }

    /** The model as last saved. */
    Model model() {
        return model;
    }

    List<String> problems() {
        return store.problems();
    }

    /** Whether the state file could not be read at all: nothing on the host may be taken as nobody's. */
    boolean isUnreadable() {
        return store.isUnreadable();
    }

    void change(Change change) {
        changeYielding(copy -> new Saved<>(null, change.apply(copy)));
    }

    <T> T changeYielding(Yielding<T> change) {
        Saved<T> saved;
        synchronized (lock) {
            Model copy = model.copy();
            saved = change.apply(copy);
            PropertyRules.validate(copy);
            store.save(copy);
            model = copy;
        }
        saved.event().run();
        return saved.result();
    }

    /** Checks a change on a copy of the model, without saving it or firing its event: before the host is touched. */
    void check(Change change) {
        Model copy = model.copy();
        change.apply(copy);
        PropertyRules.validate(copy);
    }

    /** A change that creates the qube {@code name}: its volumes go again if the change is refused. */
    void add(String name, Change change) {
        Model m = model;
        if (m.qubes.containsKey(name)) {
            throw new InvalidValueException("name", name, "a qube of that name already exists");
        }
        if (m.unreadableNames().contains(name)) {
            throw new InvalidValueException("name", name,
                    "the state file holds an unreadable qube of that name; fix or remove that entry first");
        }
        try {
            change(change);
        } catch (RuntimeException e) {
            deleteTree(qubeDir(name));
            throw e;
        }
    }

    /** Undoes a saved change of a qube in a new change, if {@code unchanged} still holds; says whether it did. */
    boolean restore(String name, Predicate<QubeRecord> unchanged, Consumer<QubeRecord> undo, Runnable event) {
        return changeYielding(m -> {
            QubeRecord q = m.qubes.get(name);
            if (q == null || !unchanged.test(q)) {
                return new Saved<>(false, () -> { });
            }
            undo.accept(q);
            return new Saved<>(true, event);
        });
    }

    static QubeRecord require(Model m, String name) {
        QubeRecord q = m.qubes.get(name);
        if (q == null) {
            throw new NoSuchQubeException(name);
        }
        return q;
    }

    static QubeRecord requireNotDom0(Model m, String name, String what) {
        QubeRecord q = require(m, name);
        if (q.klass == QubeClass.AdminVM) {
            throw new InvalidValueException("qube", name, "dom0 " + what);
        }
        return q;
    }

    /** The lowest qid no qube, readable or not, holds. */
    static int freeQid(Model m) {
        java.util.Set<Integer> taken = new java.util.HashSet<>(m.unreadableQids());
        m.qubes.values().forEach(q -> taken.add(q.qid));
        boolean[] used = new boolean[taken.size() + 2];
        for (int qid : taken) {
            if (qid >= 0 && qid < used.length) {
                used[qid] = true;
            }
        }
        int qid = 1;
        while (used[qid]) {
            qid++;
        }
        return qid;
    }

    /** Where a qube's own files are kept. */
    Path qubeDir(String name) {
        return dataDir.resolve("qubes").resolve(name);
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new AdminException("cannot remove " + root + ": " + e.getMessage(), e);
        }
    }
}
