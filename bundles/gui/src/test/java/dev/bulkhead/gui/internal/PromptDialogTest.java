package dev.bulkhead.gui.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Button;
import java.awt.Checkbox;
import java.awt.Component;
import java.awt.Container;
import java.awt.EventQueue;
import java.awt.Frame;
import java.awt.KeyboardFocusManager;
import java.awt.Label;
import java.awt.Point;
import java.awt.Window;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyDecision;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.PromptAnswer;
import dev.bulkhead.testing.Await;

/**
 * dom0's dialog for the policy's prompts, on a real X server: shown for each prompt with dom0's title and frame,
 * listing only the prompt's targets, answered by clicks (as xdotool makes them), taken down when the prompt ends
 * elsewhere, and never answered or passed on by keys.
 */
class PromptDialogTest {
    private static final String TITLE = "^dom0: policy question$";
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    private final ScriptedPolicy policy = new ScriptedPolicy();
    private GuiDaemon daemon;
    /** Whether this test drew on dom0's display (AWT must not start before the display is bound). */
    private boolean shown;

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
        if (shown) {
            Await.until("every dialog is down", WAIT, () -> onEdt(() -> dialogs().isEmpty()));
        }
    }

    @Test
    void withoutADisplayThereIsNoDialogAndOneComesAndGoesWithTheDisplaySetting() {
        daemon = new GuiDaemon(GuiDaemonTest.config("", new String[0]));
        assertTrue(daemon.promptDialogs().isEmpty(), "no display: prompts are answered in the console or the shell");
        daemon.configure(GuiDaemonTest.config(Dom0Display.get().display(), new String[0]));
        assertTrue(daemon.promptDialogs().isPresent());
        daemon.configure(GuiDaemonTest.config("none", new String[0]));
        assertTrue(daemon.promptDialogs().isEmpty());
    }

    @Test
    void aPromptShowsDom0sDialogWithOnlyItsTargetsAndAllowAnswersWithTheClickedOne() throws Exception {
        Xvfb dom0 = dom0();
        CompletableFuture<PromptAnswer> answer = ask("work", "qubes.Filecopy", "+notes", List.of("personal", "vault", "work-dvm"), "vault");
        String window = GuiDaemonTest.search(dom0, TITLE);
        Frame dialog = onEdt(() -> dialogs().get(0));

        assertEquals(List.of("vault", "personal", "work-dvm"), onEdt(() -> all(dialog, Checkbox.class).stream().map(Checkbox::getLabel).toList()),
                "only the prompt's targets, the default first");
        assertEquals("vault", onEdt(() -> checkbox(dialog, "vault").getCheckboxGroup().getSelectedCheckbox().getLabel()),
                "the default is selected");
        List<String> text = onEdt(() -> all(dialog, Label.class).stream().map(Label::getText).toList());
        assertTrue(text.contains("Caller: work"), text::toString);
        assertTrue(text.contains("Service: qubes.Filecopy+notes"), text::toString);
        assertTrue(text.stream().anyMatch(t -> t.matches("Time left: (60|59|58|57|56|55) s")), text::toString);

        // dom0's frame: white outside, black inside; no qube window has a white frame
        int[] at = GuiDaemonTest.geometry(dom0, window);
        Await.until("the white and black frame is drawn", WAIT, () -> framed(dom0, at));

        Checkbox personal = onEdt(() -> checkbox(dialog, "personal"));
        clickUntil(dom0, personal, "personal is chosen", () -> onEdt(personal::getState));
        clickUntil(dom0, onEdt(() -> button(dialog, "Allow")), "the prompt is answered", answer::isDone);
        assertEquals(PromptAnswer.allowed("personal", "gui"), answer.get(20, TimeUnit.SECONDS));
        GuiDaemonTest.awaitNoWindow(dom0, TITLE, "the answered dialog closes");
    }

    @Test
    void denyAnswersDeniedAndLongTextIsCut() throws Exception {
        Xvfb dom0 = dom0();
        String longName = "q".repeat(100);
        CompletableFuture<PromptAnswer> answer = ask(longName, "qubes.OpenInVM", "+", List.of("@dispvm:fedora-dvm"), null);
        GuiDaemonTest.search(dom0, TITLE);
        Frame dialog = onEdt(() -> dialogs().get(0));
        List<String> text = onEdt(() -> all(dialog, Label.class).stream().map(Label::getText).toList());
        assertTrue(text.contains("Caller: " + "q".repeat(PromptDialog.MAX_SHOWN - 1) + "\u2026"), text::toString);
        assertTrue(text.contains("Service: qubes.OpenInVM"), text::toString);
        assertTrue(onEdt(() -> checkbox(dialog, "@dispvm:fedora-dvm").getState()), "a single target is selected");

        clickUntil(dom0, onEdt(() -> button(dialog, "Deny")), "the prompt is answered", answer::isDone);
        assertEquals(PromptAnswer.denied("gui"), answer.get(20, TimeUnit.SECONDS));
        GuiDaemonTest.awaitNoWindow(dom0, TITLE, "the denied dialog closes");
    }

    @Test
    void aPromptEndedElsewhereTakesItsDialogDown() throws Exception {
        Xvfb dom0 = dom0();
        CompletableFuture<PromptAnswer> answer = ask("work", "qubes.Filecopy", "+", List.of("personal"), "personal");
        GuiDaemonTest.search(dom0, TITLE);
        policy.cancel(policy.pending().get(0).id());
        GuiDaemonTest.awaitNoWindow(dom0, TITLE, "the cancelled prompt's dialog closes");
        assertEquals(PromptAnswer.cancelled(), answer.get(20, TimeUnit.SECONDS));
        assertTrue(onEdt(() -> daemon.promptDialogs().orElseThrow().shown().isEmpty()));
    }

    @Test
    void anAnswerRefusedBecauseThePromptEndedMeanwhileJustClosesTheDialog() throws Exception {
        Xvfb dom0 = dom0();
        CompletableFuture<PromptAnswer> answer = ask("work", "qubes.Filecopy", "+", List.of("personal"), "personal");
        GuiDaemonTest.search(dom0, TITLE);
        Frame dialog = onEdt(() -> dialogs().get(0));
        // ended, and its closed event not yet told: the click's answer is refused
        policy.endQuietly(policy.pending().get(0).id());
        Button allow = onEdt(() -> button(dialog, "Allow"));
        // a click that lands before the new window takes input is lost on a bare X server; the user clicks again
        Await.until("the click is taken", WAIT, () -> {
            if (onEdt(allow::isEnabled)) {
                try {
                    click(dom0, allow);
                } catch (Exception e) {
                    throw new AssertionError("xdotool could not click", e);
                }
            }
            return onEdt(() -> !allow.isEnabled());
        });
        GuiDaemonTest.awaitNoWindow(dom0, TITLE, "the dialog whose answer was refused closes");
        assertEquals(PromptAnswer.timedOut(), answer.get(20, TimeUnit.SECONDS), "the answer it had stays");
    }

    @Test
    void theDialogTakesNoFocusAndKeysTypedIntoItReachNoQubeAndAnswerNothing() throws Exception {
        Xvfb dom0 = dom0();
        try (ScriptedQube q = ScriptedQube.connect(dir)) {
            daemon.attach("a", dev.bulkhead.api.Label.RED, q.dom0End);
            q.hello().window(11, 40, 40, 200, 100, "terminal", 0xffffff);
            String qubeWindow = GuiDaemonTest.search(dom0, "^\\[a\\] terminal$");
            GuiDaemonTest.type(dom0, qubeWindow, "ab");
            q.await("ab", got -> q.typed().equals("ab"));

            ask("a", "qubes.Filecopy", "+", List.of("b"), "b");
            String dialogWindow = GuiDaemonTest.search(dom0, TITLE);
            Frame dialog = onEdt(() -> dialogs().get(0));
            // typed on, as a user who did not see it appear, Return and space included
            dom0.run("xdotool", "type", "--delay", "20", "cd");
            dom0.run("xdotool", "key", "Return", "space");
            q.await("what was typed after the dialog appeared", got -> q.typed().equals("abcd "));
            assertEquals(1, policy.pending().size(), "the keys answered nothing");

            dom0.run("xdotool", "windowfocus", "--sync", dialogWindow);
            click(dom0, onEdt(() -> all(dialog, Label.class).get(0)));
            Await.until("the dialog has the focus", WAIT,
                    () -> onEdt(() -> KeyboardFocusManager.getCurrentKeyboardFocusManager().getFocusedWindow() == dialog));
            dom0.run("xdotool", "type", "--delay", "20", "xyz");
            dom0.run("xdotool", "key", "Return", "space", "Tab", "space", "Return");

            GuiDaemonTest.type(dom0, qubeWindow, "gh");
            q.await("gh", got -> q.typed().endsWith("gh"));
            assertEquals("abcd gh", q.typed(), "nothing typed into dom0's dialog reached the qube");
            assertEquals(1, policy.pending().size(), "no key answered the dialog");
        }
    }

    private Xvfb dom0() {
        Xvfb dom0 = Dom0Display.get();
        daemon = policy.bindTo(new GuiDaemon(GuiDaemonTest.config(dom0.display(), new String[0])));
        policy.listeners.add(daemon.promptDialogs().orElseThrow());
        shown = true;
        return dom0;
    }

    private CompletableFuture<PromptAnswer> ask(String source, String service, String argument, List<String> targets, String def) {
        return policy.ask(new PolicyRequest(service, argument, source, "@default"),
                new PolicyDecision(PolicyAction.ASK, null, targets, def, null, true, false, null, "ask"), Duration.ofSeconds(60))
                .toCompletableFuture();
    }

    private static boolean framed(Xvfb dom0, int[] at) {
        try {
            XwdImage shot = new XwdImage(dom0.runForBytes("xwd", "-root", "-silent"));
            int x = at[0];
            int y = at[1];
            int w = at[2];
            int h = at[3];
            int o = PromptDialog.OUTER;
            return shot.rgb(x, y) == 0xffffff && shot.rgb(x + w - 1, y + h - 1) == 0xffffff && shot.rgb(x + w / 2, y) == 0xffffff
                    && shot.rgb(x + o, y + o) == 0 && shot.rgb(x + w - o - 1, y + h / 2) == 0 && shot.rgb(x + w / 2, y + h - o - 1) == 0;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Clicks the middle of {@code c} with a real pointer. */
    /**
     * Clicks {@code c} until {@code done}: a click that lands before a new window takes input is lost on a bare X
     * server, and the user clicks again.
     */
    private static void clickUntil(Xvfb dom0, Component c, String what, java.util.function.BooleanSupplier done) {
        Await.until(what, WAIT, () -> {
            if (!done.getAsBoolean()) {
                try {
                    click(dom0, c);
                } catch (Exception e) {
                    throw new AssertionError("xdotool could not click", e);
                }
            }
            return done.getAsBoolean();
        });
    }

    private static void click(Xvfb dom0, Component c) throws Exception {
        Point p = onEdt(() -> {
            Point on = c.getLocationOnScreen();
            return new Point(on.x + c.getWidth() / 2, on.y + c.getHeight() / 2);
        });
        dom0.run("xdotool", "mousemove", "--sync", String.valueOf(p.x), String.valueOf(p.y), "click", "1");
    }

    /** dom0's dialogs showing now. */
    private static List<Frame> dialogs() {
        return java.util.Arrays.stream(Frame.getFrames()).filter(Window::isShowing)
                .filter(f -> f.getTitle().equals(PromptDialog.TITLE)).toList();
    }

    private static Checkbox checkbox(Frame dialog, String label) {
        return all(dialog, Checkbox.class).stream().filter(c -> c.getLabel().equals(label)).findFirst().orElseThrow();
    }

    private static Button button(Frame dialog, String label) {
        return all(dialog, Button.class).stream().filter(b -> b.getLabel().equals(label)).findFirst().orElseThrow();
    }

    private static <T extends Component> List<T> all(Container c, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Component child : c.getComponents()) {
            if (type.isInstance(child)) {
                out.add(type.cast(child));
            }
            if (child instanceof Container inner) {
                out.addAll(all(inner, type));
            }
        }
        return out;
    }

    private static <T> T onEdt(java.util.concurrent.Callable<T> work) {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Exception> failed = new AtomicReference<>();
        try {
            EventQueue.invokeAndWait(() -> {
                try {
                    result.set(work.call());
                } catch (Exception e) {
                    failed.set(e);
                }
            });
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        if (failed.get() != null) {
            throw new AssertionError(failed.get());
        }
        return result.get();
    }
}
