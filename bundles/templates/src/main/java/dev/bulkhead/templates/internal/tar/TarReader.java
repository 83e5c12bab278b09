package dev.bulkhead.templates.internal.tar;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a tar archive entry by entry: POSIX ustar, with PAX extended headers ({@code path},
 * {@code linkpath}, {@code size}, {@code uid}, {@code gid}, {@code mtime}) and GNU long names. Every
 * header's checksum is checked. Sparse files in every GNU form (type {@code S}, old-GNU sparse maps,
 * PAX {@code GNU.sparse.*} records, PAX 1.0 {@code GNUSparseFile.} stand-in names), volume labels and
 * other kinds are refused by name, never skipped: read as plain files they would unpack to something
 * else than the archive holds. The reader only reads: what an entry means on disk is the caller's to judge.
 */
public final class TarReader {
    static final int BLOCK = 512;
    /** Longest PAX header or GNU long name this reader takes; real ones are a few hundred bytes. */
    static final int MAX_EXTENSION = 64 * 1024;
    /** Old-GNU header fields of a sparse file: its map of four (offset, size) pairs, the extension flag, the real size. */
    private static final int OLD_GNU_SPARSE = 386;
    private static final int OLD_GNU_EXTENDED = 482;
    private static final int OLD_GNU_REALSIZE = 483;

    private static final Pattern PAX_TIME = Pattern.compile("-?[0-9]{1,18}(\\.[0-9]{0,30})?");

    private final InputStream in;
    private long remaining;
    private long padding;
    private Map<String, String> global = new HashMap<>();
    private boolean ended;

    public TarReader(InputStream in) {
        this.in = in;
    }

    /** The next entry, or {@code null} at the end of the archive. Skips what is left of the previous entry's content. */
    public TarEntry next() throws IOException {
        skipRest();
        if (ended) {
            return null;
        }
        Map<String, String> pax = new HashMap<>(global);
        String longName = null;
        String longLink = null;
        while (true) {
            byte[] header = readBlock();
            if (header == null || isZero(header)) {
                ended = true;
                return null;
            }
            checkChecksum(header);
            char flag = (char) (header[156] & 0xff);
            long size = number(header, 124, 12, "size");
            switch (flag) {
                case 'x' -> pax.putAll(parsePax(readExtension(size)));
                case 'g' -> {
                    global = new HashMap<>(global);
                    global.putAll(parsePax(readExtension(size)));
                    pax.putAll(global);
                }
                case 'L' -> longName = cString(readExtension(size));
                case 'K' -> longLink = cString(readExtension(size));
                default -> {
                    return entry(header, flag, size, pax, longName, longLink);
                }
            }
        }
    }

    /** The content of the current entry; reading past its end gives end of stream. */
    public InputStream content() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining == 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    throw new TarException("the archive ends in the middle of an entry");
                }
                remaining -= n;
                return n;
            }
        };
    }

    private TarEntry entry(byte[] header, char flag, long headerSize, Map<String, String> pax, String longName, String longLink)
            throws IOException {
        TarEntry.Type type = TarEntry.Type.of(flag);
        if (type == null) {
            throw new TarException("entry '" + fullName(header) + "' is of tar type '" + printable(flag) + "' ("
                    + describe(flag) + "), which a template may not hold");
        }
        String name = pax.containsKey("path") ? pax.get("path") : longName != null ? longName : fullName(header);
        refuseSparse(header, name, pax);
        String link = pax.containsKey("linkpath") ? pax.get("linkpath") : longLink != null ? longLink : cString(header, 157, 100);
        long size = pax.containsKey("size") ? paxNumber(pax, "size") : headerSize;
        long uid = pax.containsKey("uid") ? paxNumber(pax, "uid") : number(header, 108, 8, "uid");
        long gid = pax.containsKey("gid") ? paxNumber(pax, "gid") : number(header, 116, 8, "gid");
        long mtime = pax.containsKey("mtime") ? paxTime(pax.get("mtime")) : number(header, 136, 12, "mtime");
        int mode = (int) (number(header, 100, 8, "mode") & 07777);
        // only regular files carry content; a link or directory that claims some is read past
        remaining = size;
        padding = (BLOCK - size % BLOCK) % BLOCK;
        return new TarEntry(name, type, mode, uid, gid, type == TarEntry.Type.FILE ? size : 0, mtime, link);
    }

    private static void refuseSparse(byte[] header, String name, Map<String, String> pax) throws TarException {
        for (String key : pax.keySet()) {
            if (key.startsWith("GNU.sparse.")) {
                throw new TarException("entry '" + name + "' is a sparse file (PAX record " + key + "), which a template may not hold");
            }
        }
        for (String part : name.split("/")) {
            if (part.startsWith("GNUSparseFile.")) {
                throw new TarException("entry '" + name + "' is named like the stand-in of a PAX 1.0 sparse file (GNUSparseFile.),"
                        + " which a template may not hold");
            }
        }
        if (isOldGnu(header) && (header[OLD_GNU_EXTENDED] != 0 || !isZero(header, OLD_GNU_SPARSE, OLD_GNU_EXTENDED)
                || !isZero(header, OLD_GNU_REALSIZE, OLD_GNU_REALSIZE + 12))) {
            throw new TarException("entry '" + name + "' carries an old-GNU sparse map, which a template may not hold");
        }
    }

    /** GNU's own header layout, magic {@code "ustar  \0"}, where ustar has its prefix field. */
    private static boolean isOldGnu(byte[] header) {
        return new String(header, 257, 8, StandardCharsets.US_ASCII).equals("ustar  \0");
    }

    private static String describe(char flag) {
        return switch (flag) {
            case 'S' -> "a GNU sparse file";
            case 'V' -> "a volume label";
            case 'M' -> "a multi-volume continuation";
            case 'D' -> "a GNU dump directory";
            default -> "unknown";
        };
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c);
    }

    private byte[] readExtension(long size) throws IOException {
        if (size < 0 || size > MAX_EXTENSION) {
            throw new TarException("an extension header of " + size + " bytes; at most " + MAX_EXTENSION + " are taken");
        }
        byte[] data = in.readNBytes((int) size);
        if (data.length != size) {
            throw new TarException("the archive ends in the middle of an extension header");
        }
        skipBytes((BLOCK - size % BLOCK) % BLOCK);
        return data;
    }

    /** PAX records read {@code LENGTH KEY=VALUE\n}, LENGTH counting the whole record. */
    static Map<String, String> parsePax(byte[] data) throws TarException {
        Map<String, String> records = new HashMap<>();
        int pos = 0;
        while (pos < data.length) {
            int space = pos;
            while (space < data.length && data[space] != ' ') {
                space++;
            }
            int length;
            try {
                length = Integer.parseInt(new String(data, pos, space - pos, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new TarException("a PAX header record without a length");
            }
            // compared before adding, so that a length near 2^31 cannot wrap round to a negative end
            if (length <= space - pos + 1 || length > data.length - pos || data[pos + length - 1] != '\n') {
                throw new TarException("a PAX header record whose length does not fit");
            }
            int end = pos + length;
            String record = new String(data, space + 1, end - space - 2, StandardCharsets.UTF_8);
            int eq = record.indexOf('=');
            if (eq <= 0) {
                throw new TarException("a PAX header record without KEY=VALUE");
            }
            records.put(record.substring(0, eq), record.substring(eq + 1));
            pos = end;
        }
        return records;
    }

    private static long paxNumber(Map<String, String> pax, String key) throws TarException {
        try {
            long v = Long.parseLong(pax.get(key));
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new TarException("PAX " + key + " '" + pax.get(key) + "' is not a number");
        }
    }

    /** A PAX time: decimal seconds since the epoch, perhaps negative, perhaps with a fraction, which is dropped. */
    private static long paxTime(String value) throws TarException {
        if (!PAX_TIME.matcher(value).matches()) {
            throw new TarException("PAX mtime '" + value + "' is not a time in seconds");
        }
        int point = value.indexOf('.');
        return Long.parseLong(point < 0 ? value : value.substring(0, point));
    }

    private static String fullName(byte[] header) {
        String name = cString(header, 0, 100);
        boolean ustar = new String(header, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        String prefix = ustar && header[262] == 0 ? cString(header, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    private static String cString(byte[] data) {
        return cString(data, 0, data.length);
    }

    private static String cString(byte[] data, int offset, int length) {
        int end = offset;
        while (end < offset + length && data[end] != 0) {
            end++;
        }
        return new String(data, offset, end - offset, StandardCharsets.UTF_8);
    }

    /** An octal field, or GNU's base-256 form (first byte with its high bit set). */
    static long number(byte[] header, int offset, int length, String field) throws TarException {
        if ((header[offset] & 0x80) != 0) {
            if ((header[offset] & 0x40) != 0) {
                throw new TarException("a negative " + field + " in a tar header");
            }
            long v = header[offset] & 0x3f;
            for (int i = 1; i < length; i++) {
                if (v > (Long.MAX_VALUE >> 8)) {
                    throw new TarException("a " + field + " too large for a tar header");
                }
                v = (v << 8) | (header[offset + i] & 0xff);
            }
            return v;
        }
        long v = 0;
        int i = offset;
        int end = offset + length;
        while (i < end && (header[i] == ' ' || header[i] == 0)) {
            i++;
        }
        for (; i < end && header[i] >= '0' && header[i] <= '7'; i++) {
            v = v * 8 + (header[i] - '0');
        }
        for (; i < end; i++) {
            if (header[i] != ' ' && header[i] != 0) {
                throw new TarException("the " + field + " field of a tar header is not an octal number");
            }
        }
        return v;
    }

    private static void checkChecksum(byte[] header) throws TarException {
        long stored = number(header, 148, 8, "checksum");
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += i >= 148 && i < 156 ? ' ' : header[i] & 0xff;
        }
        if (sum != stored) {
            throw new TarException("a tar header's checksum does not match (damaged or not a tar archive)");
        }
    }

    private byte[] readBlock() throws IOException {
        byte[] block = in.readNBytes(BLOCK);
        if (block.length == 0) {
            return null;
        }
        if (block.length < BLOCK) {
            throw new TarException("the archive ends in the middle of a header");
        }
        return block;
    }

    private static boolean isZero(byte[] block) {
        return isZero(block, 0, block.length);
    }

    private static boolean isZero(byte[] block, int from, int to) {
        for (int i = from; i < to; i++) {
            if (block[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private void skipRest() throws IOException {
        skipBytes(remaining + padding);
        remaining = 0;
        padding = 0;
    }

    private void skipBytes(long n) throws IOException {
        long left = n;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new EOFException("the archive ends in the middle of an entry");
                }
                skipped = 1;
            }
            left -= skipped;
        }
    }
}
