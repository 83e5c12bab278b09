package dev.bulkhead.bench.x11;

import static dev.bulkhead.bench.x11.Xlib.X;

import java.util.concurrent.locks.LockSupport;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;

/**
 * {@code FrameSampler WINDOW SECONDS}: reads the pixel at the middle of window WINDOW (an XID) for SECONDS,
 * pausing half a millisecond between reads, and prints {@code CHANGES SAMPLES NANOS}: how often it differed
 * from the read before, which is the number of frames shown on that display as long as they come slower
 * than the reads (SAMPLES of them in NANOS).
 */
public final class FrameSampler {
    private static final long PAUSE_NANOS = 500_000;

    private FrameSampler() {
    }

    public static void main(String[] args) {
        long window = Long.parseLong(args[0]);
        long nanos = Long.parseLong(args[1]) * 1_000_000_000L;
        Pointer display = Xlib.open();
        IntByReference width = new IntByReference();
        IntByReference height = new IntByReference();
        IntByReference unused = new IntByReference();
        if (X.XGetGeometry(display, window, new LongByReference(), unused, unused, width, height, unused, unused) == 0) {
            throw new IllegalStateException("no window " + window);
        }
        int x = width.getValue() / 2;
        int y = height.getValue() / 2;
        long last = -1;
        long changes = 0;
        long samples = 0;
        long start = System.nanoTime();
        long elapsed;
        while ((elapsed = System.nanoTime() - start) < nanos) {
            Pointer image = X.XGetImage(display, window, x, y, 1, 1, Xlib.ALL_PLANES, Xlib.Z_PIXMAP);
            if (image == null) {
                throw new IllegalStateException("window " + window + " is not viewable");
            }
            long pixel = X.XGetPixel(image, 0, 0) & 0xFFFFFFL;
            X.XDestroyImage(image);
            if (last >= 0 && pixel != last) {
                changes++;
            }
            last = pixel;
            samples++;
            LockSupport.parkNanos(PAUSE_NANOS);
        }
        System.out.println(changes + " " + samples + " " + elapsed);
    }
}
