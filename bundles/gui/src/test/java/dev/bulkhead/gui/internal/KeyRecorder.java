package dev.bulkhead.gui.internal;

import java.awt.Color;
import java.awt.EventQueue;
import java.awt.Frame;
import java.awt.event.KeyAdapter;
import java.awt.event.KeyEvent;
import java.awt.event.WindowAdapter;
import java.awt.event.WindowEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A tiny X client for a qube's display: a window FILE TITLE COLOUR [X] that appends every character typed into it to FILE, and {@code <closed>} when asked to close. */
public final class KeyRecorder {
    private KeyRecorder() {
    }

    public static void main(String[] args) throws Exception {
        Writer out = Files.newBufferedWriter(Path.of(args[0]), StandardCharsets.UTF_8);
        EventQueue.invokeAndWait(() -> {
            Frame frame = new Frame(args[1]);
            frame.setBackground(Color.decode(args[2]));
            frame.setBounds(args.length > 3 ? Integer.parseInt(args[3]) : 30, 30, 300, 150);
            frame.addKeyListener(new KeyAdapter() {
                @Override
                public void keyTyped(KeyEvent e) {
                    try {
                        out.write(e.getKeyChar());
                        out.flush();
                    } catch (IOException x) {
                        throw new UncheckedIOException(x);
                    }
                }
            });
            frame.addWindowListener(new WindowAdapter() {
                @Override
                public void windowClosing(WindowEvent e) {
                    try {
                        out.write("<closed>");
                        out.flush();
                    } catch (IOException x) {
                        throw new UncheckedIOException(x);
                    }
                    frame.dispose();
                }
            });
            frame.setVisible(true);
        });
    }
}
