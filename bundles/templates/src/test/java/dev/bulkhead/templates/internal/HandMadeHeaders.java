package dev.bulkhead.templates.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Tar headers written byte by byte, for the forms and faults a tar writer does not produce. */
final class HandMadeHeaders {
    private HandMadeHeaders() {
    }

    /** A POSIX ustar header of a regular or other entry; the checksum is set. */
    static byte[] ustar(String name, char type, long size) {
        byte[] h = common(name, type, size);
        put(h, 257, "ustar\0" + "00");
        checksum(h);
        return h;
    }

    /** A header in GNU's own layout (magic {@code "ustar  \0"}); the checksum is set. */
    static byte[] oldGnu(String name, char type, long size) {
        byte[] h = common(name, type, size);
        put(h, 257, "ustar  \0");
        checksum(h);
        return h;
    }

    private static byte[] common(String name, char type, long size) {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", size));
        put(h, 136, String.format("%011o", 1_700_000_000L));
        h[156] = (byte) type;
        return h;
    }

    /** The content of a PAX header of one record. */
    static byte[] paxRecords(String key, String value) {
        String body = " " + key + "=" + value + "\n";
        int length = body.length() + 1;
        while (Integer.toString(length).length() + body.length() != length) {
            length++;
        }
        return (length + body).getBytes(StandardCharsets.UTF_8);
    }

    static void put(byte[] header, int offset, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(bytes, 0, header, offset, bytes.length);
    }

    /** Sets the checksum field for the header as it is now. */
    static void checksum(byte[] h) {
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o\0", sum));
    }

    /** Headers and contents in turn, each content padded to a block, then the two zero blocks of the end. */
    static byte[] archive(byte[]... blocks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] b : blocks) {
            out.writeBytes(b);
            out.writeBytes(new byte[(512 - b.length % 512) % 512]);
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }
}
