package dev.bulkhead.gui.internal;

import java.awt.EventQueue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.Prompt;
import dev.bulkhead.api.policy.PromptAnswer;
import dev.bulkhead.api.policy.PromptListener;

/**
 * Shows each prompt the policy opens as a {@link PromptDialog} on dom0's display, and takes it down when the prompt
 * ends, wherever it was answered. A click answers through {@link PolicyPrompts#answer} as {@value #BY}, on a thread of
 * its own (whatever the answer sets off, such as starting a qube, never runs on AWT's thread); an answer refused
 * because the prompt ended meanwhile just closes the dialog. At most {@value #MAX_DIALOGS} dialogs are shown at
 * once; later prompts wait in the console and the shell. The display is bound at the first prompt; a display that
 * cannot be used shows no dialog and the prompt is answered elsewhere.
 */
final class PromptDialogs implements PromptListener {
    static final String BY = "gui";
    static final int MAX_DIALOGS = 16;
    private static final System.Logger LOG = System.getLogger(PromptDialogs.class.getName());

    private final Runnable bindDisplay;
    private final Supplier<PolicyPrompts> prompts;
    /** Touched on AWT's event thread only. */
    private final Map<String, PromptDialog> shown = new LinkedHashMap<>();
    private final ScheduledExecutorService worker;
    private final AtomicBoolean ticking = new AtomicBoolean();
    private int opened;

    /**
     * @param bindDisplay points AWT at dom0's display; throws when it cannot
     * @param prompts where the answers go
     */
    PromptDialogs(Runnable bindDisplay, Supplier<PolicyPrompts> prompts) {
        this.bindDisplay = bindDisplay;
        this.prompts = prompts;
        ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "bulkhead-gui-prompts");
            t.setDaemon(true);
            return t;
        });
        ex.setRemoveOnCancelPolicy(true);
        this.worker = ex;
    }

    @Override
    public void opened(Prompt prompt) {
        try {
            bindDisplay.run();
            // AWT starts only once the display is bound: the clock ticks from the first prompt on
            if (!ticking.getAndSet(true)) {
                worker.scheduleWithFixedDelay(() -> EventQueue.invokeLater(this::tick), 1, 1, TimeUnit.SECONDS);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "no dialog for a policy prompt on dom0's display: " + e.getMessage());
            return;
        }
        EventQueue.invokeLater(() -> show(prompt));
    }

    @Override
    public void closed(Prompt prompt, PromptAnswer answer) {
        EventQueue.invokeLater(() -> close(prompt.id()));
    }

    /** Takes every dialog down and stops answering. */
    void close() {
        worker.shutdownNow();
        if (!ticking.get()) {
            return; // never showed a dialog: AWT may not even have started
        }
        EventQueue.invokeLater(() -> new ArrayList<>(shown.keySet()).forEach(this::close));
    }

    /** The prompts shown as dialogs now, oldest first; call on AWT's event thread. */
    List<Prompt> shown() {
        return shown.values().stream().map(PromptDialog::prompt).toList();
    }

    private void show(Prompt prompt) {
        if (worker.isShutdown() || shown.containsKey(prompt.id()) || !prompt.deadline().isAfter(Instant.now())) {
            return;
        }
        if (shown.size() >= MAX_DIALOGS) {
            LOG.log(System.Logger.Level.WARNING, MAX_DIALOGS + " policy questions are shown already: answer prompt " + prompt.id()
                    + " in the console or the shell");
            return;
        }
        PromptDialog dialog = new PromptDialog(prompt, opened++, (allow, target) -> answer(prompt.id(), allow, target));
        shown.put(prompt.id(), dialog);
        dialog.show();
    }

    private void close(String id) {
        PromptDialog d = shown.remove(id);
        if (d != null) {
            d.dispose();
        }
    }

    private void tick() {
        Instant now = Instant.now();
        shown.values().forEach(d -> d.tick(now));
    }

    private void answer(String id, boolean allow, String target) {
        try {
            worker.execute(() -> {
                PolicyPrompts p = prompts.get();
                try {
                    if (p == null) {
                        throw new InvalidStateException("no prompt service");
                    }
                    p.answer(id, allow, target, BY);
                    // the prompt's closed event takes the dialog down
                } catch (InvalidStateException | InvalidValueException e) {
                    LOG.log(System.Logger.Level.INFO, "policy question " + id + " not answered from dom0's dialog: " + e.getMessage());
                    EventQueue.invokeLater(() -> close(id));
                }
            });
        } catch (RejectedExecutionException e) {
            close(id);
        }
    }
}
