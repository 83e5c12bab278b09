package dev.bulkhead.gui.internal;

import java.awt.BorderLayout;
import java.awt.Button;
import java.awt.Checkbox;
import java.awt.CheckboxGroup;
import java.awt.Color;
import java.awt.Component;
import java.awt.Dimension;
import java.awt.FlowLayout;
import java.awt.Font;
import java.awt.Frame;
import java.awt.Graphics;
import java.awt.GraphicsEnvironment;
import java.awt.GridLayout;
import java.awt.Insets;
import java.awt.Label;
import java.awt.Panel;
import java.awt.Rectangle;
import java.awt.ScrollPane;
import java.awt.event.WindowAdapter;
import java.awt.event.WindowEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

import dev.bulkhead.api.policy.Prompt;

/**
 * dom0's dialog for one prompt, drawn by dom0 and marked as dom0's: the title {@value #TITLE} (every qube window's
 * title starts with {@code [qube]}) and a frame white outside and black inside (a qube window's frame is one label
 * colour, and no label is white). It lists the caller, the service with its argument and only the prompt's targets,
 * the default first and selected, with the time left. It never takes the keyboard focus by itself, and its buttons
 * answer only a click, never a key: what the user was typing into a qube window when it appeared cannot answer it.
 * Keys typed into it reach its own controls only. Every method runs on AWT's event thread.
 */
final class PromptDialog {
    static final String TITLE = "dom0: policy question";
    /** The longest text shown from the prompt; longer is cut with an ellipsis. */
    static final int MAX_SHOWN = 64;
    static final int OUTER = 4;
    static final int INNER = 2;
    private static final int VISIBLE_TARGETS = 8;

    private final Prompt prompt;
    private final Frame frame;
    private final Label timeLeft;
    private final Button allow;
    private final Button deny;
    private final CheckboxGroup choice = new CheckboxGroup();
    private final List<Checkbox> targets = new ArrayList<>();
    private final List<String> order;

    /**
     * @param answer called with (allowed, target) on a click; target is null for a denial
     */
    PromptDialog(Prompt prompt, int stacked, BiConsumer<Boolean, String> answer) {
        this.prompt = prompt;
        frame = new Frame(TITLE);
        frame.setAutoRequestFocus(false);
        frame.setAlwaysOnTop(true);
        frame.setResizable(false);

        Panel text = new Panel(new GridLayout(0, 1));
        Label question = new Label("dom0 asks: may this qube call this service?");
        question.setFont(question.getFont() == null ? new Font(Font.SANS_SERIF, Font.BOLD, 12) : question.getFont().deriveFont(Font.BOLD));
        text.add(question);
        text.add(new Label("Caller: " + shown(prompt.source())));
        text.add(new Label("Service: " + shown(prompt.service() + (prompt.argument().equals("+") ? "" : prompt.argument()))));
        text.add(new Label("Target:"));

        Panel choices = new Panel(new GridLayout(0, 1));
        order = ordered(prompt);
        for (String t : order) {
            Checkbox c = new Checkbox(shown(t), choice, t.equals(prompt.defaultTarget()) || prompt.targets().size() == 1);
            c.addItemListener(e -> allowIfChosen());
            targets.add(c);
            choices.add(c);
        }
        Component list = choices;
        if (targets.size() > VISIBLE_TARGETS) {
            // a long list scrolls; a short one shows whole
            ScrollPane scroll = new ScrollPane(ScrollPane.SCROLLBARS_AS_NEEDED);
            scroll.add(choices);
            scroll.setPreferredSize(new Dimension(320, 24 * VISIBLE_TARGETS));
            list = scroll;
        }

        timeLeft = new Label();
        allow = new Button("Allow");
        deny = new Button("Deny");
        // answered by a click only: a button that cannot have the focus cannot be pressed by a key
        allow.setFocusable(false);
        deny.setFocusable(false);
        allow.addActionListener(e -> {
            String target = chosen();
            if (target != null) {
                answering();
                answer.accept(true, target);
            }
        });
        deny.addActionListener(e -> {
            answering();
            answer.accept(false, null);
        });
        frame.addWindowListener(new WindowAdapter() {
            @Override
            public void windowClosing(WindowEvent e) {
                answering();
                answer.accept(false, null);
            }
        });
        Panel buttons = new Panel(new FlowLayout(FlowLayout.RIGHT));
        buttons.add(deny);
        buttons.add(allow);
        Panel bottom = new Panel(new BorderLayout());
        bottom.add(timeLeft, BorderLayout.CENTER);
        bottom.add(buttons, BorderLayout.EAST);

        Panel content = new Dom0Frame();
        content.setLayout(new BorderLayout(0, 6));
        content.add(text, BorderLayout.NORTH);
        content.add(list, BorderLayout.CENTER);
        content.add(bottom, BorderLayout.SOUTH);
        frame.add(content);
        allowIfChosen();
        tick(Instant.now());
        frame.pack();
        Rectangle screen = GraphicsEnvironment.getLocalGraphicsEnvironment().getMaximumWindowBounds();
        int offset = 24 * (stacked % 8);
        frame.setLocation(screen.x + Math.max(0, (screen.width - frame.getWidth()) / 2) + offset,
                screen.y + Math.max(0, (screen.height - frame.getHeight()) / 2) + offset);
    }

    void show() {
        frame.setVisible(true);
    }

    void dispose() {
        frame.dispose();
    }

    Prompt prompt() {
        return prompt;
    }

    /** Shows the whole seconds left until the prompt's deadline. */
    void tick(Instant now) {
        long ms = Math.max(0, Duration.between(now, prompt.deadline()).toMillis());
        timeLeft.setText("Time left: " + (ms + 999) / 1000 + " s");
    }

    /** The targets in the order shown: the default first, then the others as the prompt lists them. */
    static List<String> ordered(Prompt prompt) {
        List<String> out = new ArrayList<>();
        if (prompt.defaultTarget() != null && prompt.targets().contains(prompt.defaultTarget())) {
            out.add(prompt.defaultTarget());
        }
        prompt.targets().stream().filter(t -> !out.contains(t)).forEach(out::add);
        return out;
    }

    /** {@code s} cut to {@link #MAX_SHOWN} characters. */
    static String shown(String s) {
        return s.length() <= MAX_SHOWN ? s : s.substring(0, MAX_SHOWN - 1) + "\u2026";
    }

    private String chosen() {
        Checkbox c = choice.getSelectedCheckbox();
        return c == null ? null : order.get(targets.indexOf(c));
    }

    private void allowIfChosen() {
        allow.setEnabled(choice.getSelectedCheckbox() != null);
    }

    private void answering() {
        allow.setEnabled(false);
        deny.setEnabled(false);
    }

    /** The content, inside a frame white outside and black inside: a frame no qube window has. */
    private static final class Dom0Frame extends Panel {
        private static final long serialVersionUID = 1L;
        private static final int PAD = 8;

        Dom0Frame() {
            setBackground(new Color(0xeeeeee));
        }

        @Override
        public Insets getInsets() {
            int i = OUTER + INNER + PAD;
            return new Insets(i, i, i, i);
        }

        @Override
        public void paint(Graphics g) {
            int w = getWidth();
            int h = getHeight();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, OUTER);
            g.fillRect(0, h - OUTER, w, OUTER);
            g.fillRect(0, 0, OUTER, h);
            g.fillRect(w - OUTER, 0, OUTER, h);
            g.setColor(Color.BLACK);
            g.fillRect(OUTER, OUTER, w - 2 * OUTER, INNER);
            g.fillRect(OUTER, h - OUTER - INNER, w - 2 * OUTER, INNER);
            g.fillRect(OUTER, OUTER, INNER, h - 2 * OUTER);
            g.fillRect(w - OUTER - INNER, OUTER, INNER, h - 2 * OUTER);
        }
    }
}
