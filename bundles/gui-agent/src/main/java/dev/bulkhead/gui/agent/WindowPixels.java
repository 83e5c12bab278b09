package dev.bulkhead.gui.agent;

import java.io.IOException;
import java.util.Arrays;

import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.platform.unix.X11;

import dev.bulkhead.gui.protocol.GuiLimits;
import dev.bulkhead.gui.protocol.GuiMessage;
import dev.bulkhead.gui.protocol.MessageWriter;

/**
 * Reads a drawn rectangle of a window from the qube's X server and sends dom0 the rows of it whose
 * pixels differ from what dom0 has, each PIXELS message within the protocol's per-message limit.
 */
final class WindowPixels {
    private static final X11 X = X11.INSTANCE;
    private static final NativeLong ALL_PLANES = new NativeLong(-1L);

    private final X11.Display display;
    private final MessageWriter out;
    private final int screenWidth;
    private final int screenHeight;

    WindowPixels(X11.Display display, MessageWriter out) {
        this.display = display;
        this.out = out;
        int screen = X.XDefaultScreen(display);
        this.screenWidth = X.XDisplayWidth(display, screen);
        this.screenHeight = X.XDisplayHeight(display, screen);
    }

    /** Sends what changed in {x, y, width, height} of the window; X reads only what lies on the qube's screen. */
    void send(TopLevel t, int[] rect) throws IOException {
        // XGetImage fails for a rectangle of a window that is not wholly on the screen: read the part that is.
        int originX = t.x + t.border;
        int originY = t.y + t.border;
        int x0 = Math.max(rect[0], -originX);
        int y0 = Math.max(rect[1], -originY);
        int x1 = Math.min(rect[0] + rect[2], screenWidth - originX);
        int y1 = Math.min(rect[1] + rect[3], screenHeight - originY);
        if (x0 >= x1 || y0 >= y1) {
            return;
        }
        int w = x1 - x0;
        int h = y1 - y0;
        int[] now = image(t.window, x0, y0, w, h);
        if (now == null) {
            return;
        }
        int rowsPerMessage = Math.max(1, GuiLimits.MAX_PIXELS_PER_MESSAGE / w);
        int row = 0;
        while (row < h) {
            if (!t.fresh && rowEquals(t, now, x0, y0, w, row)) {
                row++;
                continue;
            }
            int end = row + 1;
            while (end < h && end - row < rowsPerMessage && (t.fresh || !rowEquals(t, now, x0, y0, w, end))) {
                end++;
            }
            out.write(new GuiMessage.Pixels(t.id, x0, y0 + row, w, end - row, Arrays.copyOfRange(now, row * w, end * w)));
            row = end;
        }
        for (int r = 0; r < h; r++) {
            System.arraycopy(now, r * w, t.pixels, (y0 + r) * t.width + x0, w);
        }
        if (x0 == 0 && y0 == 0 && w == t.width && h == t.height) {
            t.fresh = false;
        }
    }

    private static boolean rowEquals(TopLevel t, int[] now, int x0, int y0, int w, int row) {
        int from = (y0 + row) * t.width + x0;
        return Arrays.equals(t.pixels, from, from + w, now, row * w, (row + 1) * w);
    }

    /** The rectangle's pixels as 0xRRGGBB, or null when it cannot be read (gone, or not 32 bits per pixel). */
    private int[] image(X11.Window w, int x, int y, int width, int height) {
        Pointer image = Xlib.INSTANCE.XGetImage(display, w, x, y, width, height, ALL_PLANES, Xlib.Z_PIXMAP);
        if (image == null) {
            return null;
        }
        try {
            // struct XImage on LP64: data at 16, bytes_per_line at 44, bits_per_pixel at 48.
            Pointer data = image.getPointer(16);
            int stride = image.getInt(44);
            if (image.getInt(48) != 32 || data == null) {
                return null;
            }
            int[] pixels = new int[width * height];
            for (int row = 0; row < height; row++) {
                data.read((long) row * stride, pixels, row * width, width);
            }
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] &= 0xffffff;
            }
            return pixels;
        } finally {
            X11.XImage handle = new X11.XImage();
            handle.setPointer(image);
            X.XDestroyImage(handle);
        }
    }
}
