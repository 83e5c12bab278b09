package dev.bulkhead.qubetools;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Writes qubes.Filecopy streams (qfile-proto.h) entry by entry, well-formed or not, as a hostile sender would. */
final class FilecopyStream {
    static final int S_IFREG = 0100000;
    static final int S_IFDIR = 0040000;
    static final int S_IFLNK = 0120000;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** A header with every field as given (namelen need not match the name that follows). */
    FilecopyStream header(long namelen, int mode, long size) {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) namelen).putInt(mode).putLong(size).putInt(1_700_000_000).putInt(0).putInt(1_700_000_000).putInt(0);
        out.writeBytes(b.array());
        return this;
    }

    FilecopyStream raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    FilecopyStream entry(byte[] name, int mode, byte[] data) {
        header(name.length, mode, data.length);
        out.writeBytes(name);
        out.writeBytes(data);
        return this;
    }

    FilecopyStream file(String name, int perm, byte[] data) {
        return entry(name.getBytes(StandardCharsets.UTF_8), S_IFREG | perm, data);
    }

    FilecopyStream file(String name, String text) {
        return file(name, 0644, text.getBytes(StandardCharsets.UTF_8));
    }

    FilecopyStream dir(String name, int perm) {
        return entry(name.getBytes(StandardCharsets.UTF_8), S_IFDIR | perm, new byte[0]);
    }

    FilecopyStream dir(String name) {
        return dir(name, 0755);
    }

    /** A symlink entry as Qubes' sender writes one: the target is the data. */
    FilecopyStream symlink(String name, String target) {
        return entry(name.getBytes(StandardCharsets.UTF_8), S_IFLNK | 0777, target.getBytes(StandardCharsets.UTF_8));
    }

    FilecopyStream end() {
        out.writeBytes(new byte[32]);
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
