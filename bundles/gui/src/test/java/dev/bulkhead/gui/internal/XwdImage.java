package dev.bulkhead.gui.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** A screenshot as {@code xwd -root} writes it, read for its 24-bit TrueColor pixels. */
final class XwdImage {
    private final ByteBuffer data;
    private final int width;
    private final int height;
    private final int bytesPerLine;
    private final int pixelsStart;
    private final ByteOrder order;

    XwdImage(byte[] xwd) {
        ByteBuffer h = ByteBuffer.wrap(xwd);
        int headerSize = h.getInt(0);
        int bitsPerPixel = h.getInt(44);
        if (bitsPerPixel != 32) {
            throw new IllegalArgumentException("expected 32 bits per pixel, got " + bitsPerPixel);
        }
        width = h.getInt(16);
        height = h.getInt(20);
        order = h.getInt(28) == 0 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        bytesPerLine = h.getInt(48);
        int colors = h.getInt(76);
        pixelsStart = headerSize + 12 * colors;
        data = ByteBuffer.wrap(xwd).order(order);
    }

    /** The pixel at ({@code x}, {@code y}) as 0xRRGGBB. */
    int rgb(int x, int y) {
        if (x < 0 || y < 0 || x >= width || y >= height) {
            throw new IllegalArgumentException(x + "," + y + " is off the " + width + "x" + height + " screen");
        }
        return data.getInt(pixelsStart + y * bytesPerLine + 4 * x) & 0xffffff;
    }
}
