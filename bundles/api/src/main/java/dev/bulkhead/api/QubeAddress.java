package dev.bulkhead.api;

/**
 * Qubes' addressing: a qube connected to a netvm has {@code 10.137.x.y}, derived from its qid (a DispVM
 * {@code 10.138.x.y}); its gateway is its netvm's own address. One rule for the core, which configures the
 * links, and for whatever shows the addresses.
 */
public final class QubeAddress {
    private QubeAddress() {
    }

    /** The address of the qube with this qid and class. */
    public static String of(int qid, QubeClass klass) {
        int net = klass == QubeClass.DispVM ? 138 : 137;
        return "10." + net + "." + ((qid - 1) / 254) + "." + ((qid - 1) % 254 + 1);
    }
}
