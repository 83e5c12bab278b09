package dev.bulkhead.api.gui;

/**
 * A qube's window as dom0 knows it: the id the qube gave it, its title as the qube names it (cut by
 * dom0's decoder to at most 128 printable characters, but qube-controlled text all the same), and its
 * geometry in the qube.
 */
public record GuiWindow(String qube, int id, String title, int x, int y, int width, int height, boolean mapped,
        boolean overrideRedirect) {

    /** The title dom0 shows on the window: the qube's name in brackets, which the qube cannot forge, then its title. */
    public String shownTitle() {
        return "[" + qube + "] " + title;
    }

    /** The geometry as X writes it, {@code WIDTHxHEIGHT+X+Y}; a negative offset is written {@code +-N}. */
    public String geometry() {
        return width + "x" + height + "+" + x + "+" + y;
    }
}
