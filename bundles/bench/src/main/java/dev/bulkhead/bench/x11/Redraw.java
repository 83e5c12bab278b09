package dev.bulkhead.bench.x11;

import static dev.bulkhead.bench.x11.Xlib.X;

import java.util.concurrent.locks.LockSupport;

import com.sun.jna.Pointer;

/**
 * {@code Redraw NAME SECONDS [FPS]}: an 800×600 window named NAME that it fills with another colour each
 * frame for SECONDS, as fast as its X server takes them (each frame waits for the server with XSync), or
 * at most FPS frames a second. Every second, and at the end, it prints {@code FRAMES NANOS}: how many
 * frames it has drawn and in how long. Frame n's colour is n times an odd number modulo 2^24, so no two
 * frames of a run (fewer than 2^24) look alike.
 */
public final class Redraw {
    static final int WIDTH = 800;
    static final int HEIGHT = 600;
    private static final long SECOND = 1_000_000_000L;

    private Redraw() {
    }

    static long colour(long frame) {
        return (frame * 0x9E3779B1L) & 0xFFFFFFL;
    }

    public static void main(String[] args) {
        String name = args[0];
        long nanos = Long.parseLong(args[1]) * SECOND;
        long period = args.length > 2 ? SECOND / Long.parseLong(args[2]) : 0;
        Pointer display = Xlib.open();
        long window = Xlib.mappedWindow(display, name, WIDTH, HEIGHT, 0);
        Pointer gc = X.XCreateGC(display, window, 0, null);
        long frames = 0;
        long start = System.nanoTime();
        long report = SECOND;
        for (long elapsed = 0; elapsed < nanos; elapsed = System.nanoTime() - start) {
            if (elapsed < frames * period) {
                LockSupport.parkNanos(frames * period - elapsed);
                continue;
            }
            X.XSetForeground(display, gc, colour(frames));
            X.XFillRectangle(display, window, gc, 0, 0, WIDTH, HEIGHT);
            X.XSync(display, 0);
            frames++;
            if (elapsed >= report) {
                System.out.println(frames + " " + (System.nanoTime() - start));
                System.out.flush();
                report += SECOND;
            }
        }
        System.out.println(frames + " " + (System.nanoTime() - start));
    }
}
