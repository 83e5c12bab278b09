package dev.bulkhead.gui.agent;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** Reads arrays of C {@code long} (an XID each), whose size follows the platform. */
final class XidArray {
    private XidArray() {
    }

    static long[] read(Pointer p, int count) {
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = Native.LONG_SIZE == 8 ? p.getLong(8L * i) : p.getInt(4L * i) & 0xffffffffL;
        }
        return out;
    }
}
