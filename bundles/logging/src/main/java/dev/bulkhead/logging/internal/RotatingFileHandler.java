package dev.bulkhead.logging.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.logging.ErrorManager;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

/**
 * A log file rotated by size and named as logrotate names them: {@code NAME} is written, {@code NAME.1} is the
 * newest full one, {@code NAME.N} the oldest kept. A record is never split between two files; one larger than the
 * limit gets a file of its own. A new handler either appends to the file it finds or, at a platform start, rotates
 * it first, so that {@code NAME} holds this run's log alone.
 */
final class RotatingFileHandler extends Handler {
    private final Path file;
    private final long limit;
    private final int kept;
    private OutputStream out;
    private long size;

    /**
     * @param limit bytes after which the file is rotated
     * @param kept how many full files are kept besides the one written (0: the file is emptied instead)
     * @param fresh whether a file left with records in it is rotated before the first record
     */
    RotatingFileHandler(Path file, long limit, int kept, boolean fresh, Formatter formatter) throws IOException {
        if (limit <= 0 || kept < 0) {
            throw new IllegalArgumentException("limit " + limit + " and kept " + kept + ": the limit must be positive, kept not negative");
        }
        this.file = file;
        this.limit = limit;
        this.kept = kept;
        setFormatter(formatter);
        Files.createDirectories(file.toAbsolutePath().getParent());
        open(StandardOpenOption.APPEND);
        if (fresh && size > 0) {
            rotate();
        }
    }

    private void open(StandardOpenOption mode) throws IOException {
        out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode);
        size = Files.size(file);
    }

    @Override
    public synchronized void publish(LogRecord record) {
        if (out == null || !isLoggable(record)) {
            return;
        }
        byte[] text;
        try {
            text = getFormatter().format(record).getBytes(StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            reportError("cannot format a log record", e, ErrorManager.FORMAT_FAILURE);
            return;
        }
        try {
            if (size > 0 && size + text.length > limit) {
                rotate();
            }
            out.write(text);
            out.flush();
            size += text.length;
        } catch (IOException e) {
            reportError("cannot write " + file, e, ErrorManager.WRITE_FAILURE);
        }
    }

    private void rotate() throws IOException {
        out.close();
        if (kept > 0) {
            Files.deleteIfExists(numbered(kept));
            for (int n = kept - 1; n >= 1; n--) {
                if (Files.exists(numbered(n))) {
                    Files.move(numbered(n), numbered(n + 1), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(file, numbered(1), StandardCopyOption.REPLACE_EXISTING);
        }
        open(StandardOpenOption.TRUNCATE_EXISTING);
    }

    private Path numbered(int n) {
        return file.resolveSibling(file.getFileName() + "." + n);
    }

    @Override
    public synchronized void flush() {
        try {
            if (out != null) {
                out.flush();
            }
        } catch (IOException e) {
            reportError("cannot flush " + file, e, ErrorManager.FLUSH_FAILURE);
        }
    }

    @Override
    public synchronized void close() {
        try {
            if (out != null) {
                out.close();
            }
        } catch (IOException e) {
            reportError("cannot close " + file, e, ErrorManager.CLOSE_FAILURE);
        } finally {
            out = null;
        }
    }
}
