package dev.bulkhead.api;

/** The kinds of qube, named as in Qubes OS. */
public enum QubeClass {
    /** dom0: the management domain, qid 0, always present, never started or stopped. */
    AdminVM,
    /** Holds a root filesystem that AppVMs boot from read-only. */
    TemplateVM,
    /** An ordinary qube: the root comes from its template, the private volume is its own. */
    AppVM,
    /** A qube with its own root, not based on a template. */
    StandaloneVM,
    /** A throwaway qube that leaves nothing behind. */
    DispVM;

    /** Parses a class name as Qubes spells it; the error lists what is accepted. */
    public static QubeClass parse(String text) {
        for (QubeClass c : values()) {
            if (c.name().equalsIgnoreCase(text)) {
                return c;
            }
        }
        throw new InvalidValueException("class", text, "one of AppVM, TemplateVM, StandaloneVM, DispVM");
    }
}
