package dev.bulkhead.gui.internal;

import java.awt.EventQueue;
import java.awt.Frame;

/** An X client for a qube's display that shows N small windows, then prints {@code shown}. */
public final class ManyWindows {
    private ManyWindows() {
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        EventQueue.invokeAndWait(() -> {
            for (int i = 0; i < n; i++) {
                Frame f = new Frame("w" + i);
                f.setBounds(i % 100 * 10, i / 100 * 10, 8, 8);
                f.setVisible(true);
            }
        });
        System.out.println("shown");
    }
}
