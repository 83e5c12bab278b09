package dev.bulkhead.gui.protocol;

/** Who sends a message: each type travels in one direction only (a few in both). */
public enum Direction {
    /** From a qube's agent to dom0's daemon: windows, pixels, titles, clipboard contents. */
    QUBE_TO_DOM0,
    /** From dom0's daemon to a qube's agent: input, focus, close, clipboard requests and pastes. */
    DOM0_TO_QUBE
}
