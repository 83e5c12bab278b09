package dev.bulkhead.api;

/** The power states of a qube, as {@code qvm-ls} shows them. */
public enum PowerState {
    Halted, Transient, Running, Paused, Halting, Dying, Crashed, NA;

    /** True for every state in which the qube holds resources on the host. */
    public boolean isActive() {
        return this == Transient || this == Running || this == Paused || this == Halting;
    }
}
