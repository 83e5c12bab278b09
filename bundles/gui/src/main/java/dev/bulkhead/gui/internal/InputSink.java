package dev.bulkhead.gui.internal;

/** Where a window's input goes: only ever the session of the qube that owns the window. */
interface InputSink {
    void key(int window, boolean pressed, int keysym, int state);

    void button(int window, boolean pressed, int button, int x, int y, int state);

    void motion(int window, int x, int y, int state);

    void focus(int window, boolean in);

    void close(int window);

    /** The user pressed Ctrl+Shift+C in the window. */
    void copy();

    /** The user pressed Ctrl+Shift+V in the window. */
    void paste();
}
