package dev.bulkhead.gui.internal;

import java.awt.Canvas;
import java.awt.Color;
import java.awt.Dimension;
import java.awt.EventQueue;
import java.awt.Frame;
import java.awt.Graphics;
import java.awt.GraphicsEnvironment;
import java.awt.Rectangle;
import java.awt.Window;
import java.awt.event.FocusAdapter;
import java.awt.event.FocusEvent;
import java.awt.event.InputEvent;
import java.awt.event.KeyAdapter;
import java.awt.event.KeyEvent;
import java.awt.event.MouseAdapter;
import java.awt.event.MouseEvent;
import java.awt.event.MouseWheelEvent;
import java.awt.event.WindowAdapter;
import java.awt.event.WindowEvent;
import java.awt.image.BufferedImage;

/**
 * One qube window on dom0's display: the qube's pixels inside a frame of its label colour, with
 * the title {@code [qube] title}. dom0 alone draws the frame and sets the title; the qube supplies
 * only the pixels inside and the text after the brackets. Override-redirect windows (menus) get
 * the frame too, so no qube window ever shows without it. Every method may be called from any
 * thread; the work happens on AWT's event thread, within the qube's {@link DrawingBudget}, except
 * {@link #dispose}, which must never wait.
 */
final class QubeWindowView {
    private static final int CLIPBOARD_KEYS = InputEvent.CTRL_DOWN_MASK | InputEvent.SHIFT_DOWN_MASK;

    private final String qube;
    private final int id;
    private final int border;
    private final Color color;
    private final InputSink input;
    private final boolean overrideRedirect;
    private final DrawingBudget budget;
    private Window window;
    private Surface surface;
    private BufferedImage image;

    QubeWindowView(String qube, int id, Color color, int border, boolean overrideRedirect, InputSink input,
            DrawingBudget budget) {
        this.budget = budget;
        this.qube = qube;
        this.id = id;
        this.color = color;
        this.border = border;
        this.overrideRedirect = overrideRedirect;
        this.input = input;
    }

    void show(int x, int y, int width, int height, String title) {
        budget.run(1, () -> {
            if (window == null) {
                create();
            }
            resizeOnEdt(width, height);
            // The whole frame stays on the screen: a window as big as the screen, or bigger, or placed
            // off it, is shown smaller and moved, so it can never cover the screen without its frame.
            Rectangle screen = GraphicsEnvironment.getLocalGraphicsEnvironment().getMaximumWindowBounds();
            Dimension size = surface.getPreferredSize();
            int fx = Math.max(screen.x, Math.min(x, screen.x + screen.width - size.width));
            int fy = Math.max(screen.y, Math.min(y, screen.y + screen.height - size.height));
            window.setLocation(fx, fy);
            titleOnEdt(title);
            window.setVisible(true);
        });
    }

    void hide() {
        budget.run(1, () -> {
            if (window != null) {
                window.setVisible(false);
            }
        });
    }

    void dispose() {
        EventQueue.invokeLater(() -> {
            if (window != null) {
                window.dispose();
                window = null;
            }
        });
    }

    void title(String title) {
        budget.run(1, () -> titleOnEdt(title));
    }

    void resize(int width, int height) {
        budget.run(1, () -> resizeOnEdt(width, height));
    }

    void pixels(int x, int y, int width, int height, int[] rgb) {
        budget.run(rgb.length, () -> {
            if (image == null) {
                return;
            }
            // Only the part dom0 shows is kept; the rest of a window larger than the screen is never seen.
            int w = Math.min(width, image.getWidth() - x);
            int h = Math.min(height, image.getHeight() - y);
            if (w > 0 && h > 0) {
                image.setRGB(x, y, w, h, rgb, 0, width);
                surface.repaint(border + x, border + y, w, h);
            }
        });
    }

    private void create() {
        surface = new Surface();
        if (overrideRedirect) {
            Window popup = new Window((Window) null);
            popup.setType(Window.Type.POPUP);
            window = popup;
        } else {
            Frame frame = new Frame();
            frame.setResizable(false);
            frame.addWindowListener(new WindowAdapter() {
                @Override
                public void windowClosing(WindowEvent e) {
                    input.close(id);
                }
            });
            window = frame;
        }
        window.add(surface);
        // AWT's focus policy hands a window's focus to a Canvas only if its focusability was set explicitly. Without
        // this, a window that gets the focus with no click on its pixels (a new window, a window manager's Alt+Tab or
        // title bar) keeps it on the frame itself, which has no key listener: what is typed reaches no qube.
        surface.setFocusable(true);
        surface.setFocusTraversalKeysEnabled(false);
        surface.addKeyListener(new Keys());
        Mouse mouse = new Mouse();
        surface.addMouseListener(mouse);
        surface.addMouseMotionListener(mouse);
        surface.addMouseWheelListener(mouse);
        surface.addFocusListener(new FocusAdapter() {
            @Override
            public void focusGained(FocusEvent e) {
                input.focus(id, true);
            }

            @Override
            public void focusLost(FocusEvent e) {
                input.focus(id, false);
            }
        });
    }

    private void titleOnEdt(String title) {
        if (window instanceof Frame frame) {
            frame.setTitle("[" + qube + "] " + title);
        }
    }

    /** Sizes the window; its image holds only what fits on the screen inside the frame, so memory is bounded by the screen. */
    private void resizeOnEdt(int width, int height) {
        if (surface == null) {
            return;
        }
        Rectangle screen = GraphicsEnvironment.getLocalGraphicsEnvironment().getMaximumWindowBounds();
        int shownWidth = Math.max(1, Math.min(width, screen.width - 2 * border));
        int shownHeight = Math.max(1, Math.min(height, screen.height - 2 * border));
        if (image != null && image.getWidth() == shownWidth && image.getHeight() == shownHeight) {
            return;
        }
        BufferedImage next = new BufferedImage(shownWidth, shownHeight, BufferedImage.TYPE_INT_RGB);
        if (image != null) {
            next.getGraphics().drawImage(image, 0, 0, null);
        }
        image = next;
        surface.setPreferredSize(new Dimension(shownWidth + 2 * border, shownHeight + 2 * border));
        window.pack();
        surface.repaint();
    }

    /** The frame in the label colour, and the qube's pixels inside it. */
    private final class Surface extends Canvas {
        private static final long serialVersionUID = 1L;

        @Override
        public void update(Graphics g) {
            paint(g);
        }

        @Override
        public void paint(Graphics g) {
            int w = getWidth();
            int h = getHeight();
            // The frame last, over the pixels: a window shown smaller than its content keeps its frame.
            if (image != null) {
                g.drawImage(image, border, border, null);
            }
            g.setColor(color);
            g.fillRect(0, 0, w, border);
            g.fillRect(0, h - border, w, border);
            g.fillRect(0, 0, border, h);
            g.fillRect(w - border, 0, border, h);
        }
    }

    private final class Keys extends KeyAdapter {
        @Override
        public void keyPressed(KeyEvent e) {
            if (clipboardKey(e)) {
                if (e.getKeyCode() == KeyEvent.VK_C) {
                    input.copy();
                } else {
                    input.paste();
                }
                return;
            }
            send(e, true);
        }

        @Override
        public void keyReleased(KeyEvent e) {
            if (!clipboardKey(e)) {
                send(e, false);
            }
        }

        private boolean clipboardKey(KeyEvent e) {
            return (e.getModifiersEx() & CLIPBOARD_KEYS) == CLIPBOARD_KEYS
                    && (e.getKeyCode() == KeyEvent.VK_C || e.getKeyCode() == KeyEvent.VK_V);
        }

        private void send(KeyEvent e, boolean pressed) {
            int keysym = Keysyms.of(e);
            if (keysym != 0) {
                input.key(id, pressed, keysym, Keysyms.state(e));
            }
            e.consume();
        }
    }

    private final class Mouse extends MouseAdapter {
        @Override
        public void mousePressed(MouseEvent e) {
            surface.requestFocus();
            button(e, true);
        }

        @Override
        public void mouseReleased(MouseEvent e) {
            button(e, false);
        }

        @Override
        public void mouseMoved(MouseEvent e) {
            input.motion(id, x(e), y(e), Keysyms.state(e));
        }

        @Override
        public void mouseDragged(MouseEvent e) {
            mouseMoved(e);
        }

        @Override
        public void mouseWheelMoved(MouseWheelEvent e) {
            int button = e.getWheelRotation() < 0 ? 4 : 5;
            input.button(id, true, button, x(e), y(e), Keysyms.state(e));
            input.button(id, false, button, x(e), y(e), Keysyms.state(e));
        }

        private void button(MouseEvent e, boolean pressed) {
            int b = switch (e.getButton()) {
                case MouseEvent.BUTTON1 -> 1;
                case MouseEvent.BUTTON2 -> 2;
                case MouseEvent.BUTTON3 -> 3;
                default -> 0;
            };
            if (b != 0) {
                input.button(id, pressed, b, x(e), y(e), Keysyms.state(e));
            }
        }

        private int x(MouseEvent e) {
            return Math.max(0, Math.min(e.getX() - border, image.getWidth() - 1));
        }

        private int y(MouseEvent e) {
            return Math.max(0, Math.min(e.getY() - border, image.getHeight() - 1));
        }
    }
}
