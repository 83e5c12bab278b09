package dev.bulkhead.templates.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import dev.bulkhead.templates.internal.tar.TarEntry;
import dev.bulkhead.templates.internal.tar.TarWriter;

/** Builds tar archives entry by entry, well-formed or hostile, for the tests. */
final class Archives {
    private final List<TarEntry> entries = new ArrayList<>();
    private final List<byte[]> contents = new ArrayList<>();

    static Archives tar() {
        return new Archives();
    }

    /** The directories, /bin/sh and /sbin/qube-init a lite root needs. */
    static Archives minimalRoot() {
        return tar().dir("bin").file("bin/busybox", "#!busybox", 0755).symlink("bin/sh", "busybox").dir("sbin")
                .file("sbin/qube-init", "#!/bin/sh\n", 0755);
    }

    Archives dir(String name) {
        return add(new TarEntry(name + "/", TarEntry.Type.DIRECTORY, 0755, 0, 0, 0, 1_700_000_000L, ""), "");
    }

    Archives file(String name, String content, int mode) {
        return add(new TarEntry(name, TarEntry.Type.FILE, mode, 0, 0, content.getBytes(StandardCharsets.UTF_8).length, 1_700_000_000L, ""),
                content);
    }

    Archives symlink(String name, String target) {
        return add(new TarEntry(name, TarEntry.Type.SYMLINK, 0777, 0, 0, 0, 1_700_000_000L, target), "");
    }

    Archives hardLink(String name, String target) {
        return add(new TarEntry(name, TarEntry.Type.HARD_LINK, 0644, 0, 0, 0, 1_700_000_000L, target), "");
    }

    Archives entry(TarEntry entry, String content) {
        return add(entry, content);
    }

    private Archives add(TarEntry entry, String content) {
        entries.add(entry);
        contents.add(content.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(out)) {
            for (int i = 0; i < entries.size(); i++) {
                tar.write(entries.get(i), new ByteArrayInputStream(contents.get(i)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    byte[] gzipped() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
