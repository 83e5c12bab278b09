package dev.bulkhead.templates.internal.tar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a POSIX tar archive: ustar headers, with a PAX extended header before an entry whose
 * name or link target does not fit or is not plain ASCII, or whose numbers are too large.
 */
public final class TarWriter implements AutoCloseable {
    private static final long MAX_OCTAL_11 = 077777777777L;
    private static final long MAX_OCTAL_7 = 07777777L;

    private final OutputStream out;

    public TarWriter(OutputStream out) {
        this.out = out;
    }

    /** Writes an entry; {@code content} gives exactly {@code entry.size()} bytes for a file and is ignored otherwise. */
    public void write(TarEntry entry, InputStream content) throws IOException {
        long size = entry.type() == TarEntry.Type.FILE ? entry.size() : 0;
        Map<String, String> pax = new LinkedHashMap<>();
        if (!fits(entry.name(), 100)) {
            pax.put("path", entry.name());
        }
        if (!fits(entry.linkName(), 100)) {
            pax.put("linkpath", entry.linkName());
        }
        if (size > MAX_OCTAL_11) {
            pax.put("size", Long.toString(size));
        }
        if (entry.uid() > MAX_OCTAL_7) {
            pax.put("uid", Long.toString(entry.uid()));
        }
        if (entry.gid() > MAX_OCTAL_7) {
            pax.put("gid", Long.toString(entry.gid()));
        }
        if (!pax.isEmpty()) {
            byte[] records = paxRecords(pax);
            out.write(header(shortName("PaxHeaders/" + entry.name()), 'x', 0644, 0, 0, records.length, entry.mtime(), ""));
            out.write(records);
            pad(records.length);
        }
        out.write(header(shortName(entry.name()), entry.type().flag, entry.mode(), Math.min(entry.uid(), MAX_OCTAL_7),
                Math.min(entry.gid(), MAX_OCTAL_7), Math.min(size, MAX_OCTAL_11), entry.mtime(), shortName(entry.linkName())));
        if (size > 0) {
            long copied = content.transferTo(new OutputStream() {
                long left = size;

                @Override
                public void write(int b) throws IOException {
                    write(new byte[] { (byte) b }, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    if (len > left) {
                        throw new IOException("content of '" + entry.name() + "' is longer than its size " + size);
                    }
                    out.write(b, off, len);
                    left -= len;
                }
            });
            if (copied != size) {
                throw new IOException("content of '" + entry.name() + "' has " + copied + " bytes, its size says " + size);
            }
            pad(size);
        }
    }

    /** Ends the archive with its two zero blocks and closes the stream. */
    @Override
    public void close() throws IOException {
        out.write(new byte[2 * TarReader.BLOCK]);
        out.close();
    }

    private static boolean fits(String text, int length) {
        return text == null || text.length() < length && text.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
    }

    /** What goes into the fixed-size field when the real value is in the PAX header. */
    private static String shortName(String text) {
        if (text == null) {
            return "";
        }
        String ascii = text.replaceAll("[^\\x20-\\x7e]", "_");
        return ascii.length() < 100 ? ascii : ascii.substring(0, 99);
    }

    static byte[] paxRecords(Map<String, String> records) {
        StringBuilder sb = new StringBuilder();
        records.forEach((k, v) -> {
            String body = " " + k + "=" + v + "\n";
            int bodyLength = body.getBytes(StandardCharsets.UTF_8).length;
            int length = bodyLength + Integer.toString(bodyLength).length();
            if (Integer.toString(length).length() != Integer.toString(bodyLength).length()) {
                length++;
            }
            sb.append(length).append(body);
        });
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] header(String name, char flag, int mode, long uid, long gid, long size, long mtime, String link) {
        byte[] h = new byte[TarReader.BLOCK];
        put(h, 0, 100, name);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, uid);
        octal(h, 116, 8, gid);
        octal(h, 124, 12, size);
        octal(h, 136, 12, Math.max(0, Math.min(mtime, MAX_OCTAL_11)));
        h[156] = (byte) flag;
        put(h, 157, 100, link);
        put(h, 257, 6, "ustar");
        put(h, 263, 2, "00");
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        String checksum = String.format("%06o", sum);
        put(h, 148, 7, checksum);
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private static void put(byte[] h, int offset, int length, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, h, offset, Math.min(bytes.length, length));
    }

    private static void octal(byte[] h, int offset, int length, long value) {
        String digits = String.format("%0" + (length - 1) + "o", value);
        put(h, offset, length - 1, digits);
    }

    private void pad(long size) throws IOException {
        int padding = (int) ((TarReader.BLOCK - size % TarReader.BLOCK) % TarReader.BLOCK);
        out.write(new byte[padding]);
    }
}
