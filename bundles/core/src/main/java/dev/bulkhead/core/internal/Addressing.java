package dev.bulkhead.core.internal;

import dev.bulkhead.api.QubeClass;

/**
 * Qubes' addressing: a qube has {@code 10.137.x.y} derived from its qid (DispVMs {@code 10.138.x.y}),
 * and its gateway is its netvm's own address.
 */
final class Addressing {
    private Addressing() {
    }

    static String address(int qid, QubeClass klass) {
        int net = klass == QubeClass.DispVM ? 138 : 137;
        return "10." + net + "." + ((qid - 1) / 254) + "." + ((qid - 1) % 254 + 1);
    }
}
