package dev.bulkhead.gui;

/**
 * A qube's window as dom0 knows it: the id the qube gave it, its title as shown (the qube's
 * title cut to printable text, after dom0's {@code [qube] }), and its geometry in the qube.
 */
public record GuiWindow(String qube, int id, String title, int x, int y, int width, int height, boolean mapped,
        boolean overrideRedirect) {
}
