package dev.bulkhead.gui.agent;

import com.sun.jna.NativeLong;
import com.sun.jna.platform.unix.X11;

import dev.bulkhead.gui.protocol.GuiLimits;

/**
 * A viewable top-level window of the qube as last sent to dom0: its geometry within the protocol's
 * limits, its title, the pixels dom0 has, its Damage object and the rectangle drawn since its pixels
 * were last sent.
 */
final class TopLevel {
    final X11.Window window;
    final int id;
    final NativeLong damage;
    int x;
    int y;
    int border;
    int width;
    int height;
    boolean overrideRedirect;
    String title;
    /** What dom0 shows, row by row, {@code width} by {@code height}. */
    int[] pixels;
    /** Whether dom0 has none of the pixels yet: everything is sent, changed or not. */
    boolean fresh = true;
    private int dirtyX0;
    private int dirtyY0;
    private int dirtyX1;
    private int dirtyY1;

    TopLevel(X11.Window window, NativeLong damage) {
        this.window = window;
        this.id = window.intValue();
        this.damage = damage;
    }

    /**
     * Takes the window's geometry as X reports it; whether it differs from what dom0 was told. A
     * window that moved or changed size is read again whole: only its part on the qube's screen can
     * be read, and that part may have changed with it.
     */
    boolean place(int x, int y, int border, int width, int height, boolean overrideRedirect) {
        int w = Math.max(1, Math.min(width, GuiLimits.MAX_WIDTH));
        int h = Math.max(1, Math.min(height, GuiLimits.MAX_HEIGHT));
        int cx = clamp(x);
        int cy = clamp(y);
        int b = Math.max(0, border);
        boolean moved = pixels == null || cx != this.x || cy != this.y || b != this.border || w != this.width || h != this.height;
        boolean changed = moved || overrideRedirect != this.overrideRedirect;
        if (pixels == null || w != this.width || h != this.height) {
            pixels = new int[w * h];
            fresh = true;
        }
        this.x = cx;
        this.y = cy;
        this.border = b;
        this.width = w;
        this.height = h;
        this.overrideRedirect = overrideRedirect;
        if (moved) {
            damaged(0, 0, w, h);
        }
        return changed;
    }

    /** Adds a drawn rectangle, in window coordinates, to what is to be sent. */
    void damaged(int rx, int ry, int rw, int rh) {
        int x0 = Math.max(0, rx);
        int y0 = Math.max(0, ry);
        int x1 = Math.min(width, rx + rw);
        int y1 = Math.min(height, ry + rh);
        if (x0 >= x1 || y0 >= y1) {
            return;
        }
        if (dirtyX0 >= dirtyX1) {
            dirtyX0 = x0;
            dirtyY0 = y0;
            dirtyX1 = x1;
            dirtyY1 = y1;
        } else {
            dirtyX0 = Math.min(dirtyX0, x0);
            dirtyY0 = Math.min(dirtyY0, y0);
            dirtyX1 = Math.max(dirtyX1, x1);
            dirtyY1 = Math.max(dirtyY1, y1);
        }
    }

    boolean isDirty() {
        return dirtyX0 < dirtyX1;
    }

    /**
     * The rectangle drawn since the last call, as {x, y, width, height} within the window's present
     * size (it may have shrunk since), and none from now.
     */
    int[] takeDirty() {
        int x1 = Math.min(dirtyX1, width);
        int y1 = Math.min(dirtyY1, height);
        int[] r = {dirtyX0, dirtyY0, Math.max(0, x1 - dirtyX0), Math.max(0, y1 - dirtyY0)};
        dirtyX0 = dirtyX1 = dirtyY0 = dirtyY1 = 0;
        return r;
    }

    private static int clamp(int coordinate) {
        return Math.max(-GuiLimits.MAX_COORDINATE, Math.min(GuiLimits.MAX_COORDINATE, coordinate));
    }
}
