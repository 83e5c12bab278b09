package dev.bulkhead.bench.x11;

import static dev.bulkhead.bench.x11.Xlib.X;

import java.io.PrintStream;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * {@code KeyStamps NAME COUNT}: a 200×100 window named NAME that prints, for each of the next COUNT key
 * presses it gets, the moment it got it ({@link System#nanoTime()}, the host's monotonic clock, which
 * processes in a lite qube share with dom0) and the key's X keysym, a line each as it comes; then it exits.
 */
public final class KeyStamps {
    private KeyStamps() {
    }

    public static void main(String[] args) {
        String name = args[0];
        int count = Integer.parseInt(args[1]);
        Pointer display = Xlib.open();
        Xlib.mappedWindow(display, name, 200, 100, Xlib.KEY_PRESS_MASK);
        PrintStream out = System.out;
        out.println("mapped");
        out.flush();
        try (Memory event = new Memory(Xlib.EVENT_SIZE)) {
            for (int seen = 0; seen < count;) {
                X.XNextEvent(display, event);
                if (event.getInt(0) == Xlib.KEY_PRESS) {
                    long now = System.nanoTime();
                    out.println(now + " " + X.XLookupKeysym(event, 0));
                    out.flush();
                    seen++;
                }
            }
        }
    }
}
