package dev.bulkhead.logging.internal;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/** One line per record, {@code 2026-12-05 06:06:49.123 INFO logger: message}, then the stack trace if any. */
final class LineFormatter extends Formatter {
    private final DateTimeFormatter time;

    LineFormatter(ZoneId zone) {
        this.time = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(zone);
    }

    @Override
    public String format(LogRecord record) {
        StringBuilder line = new StringBuilder(128);
        line.append(time.format(record.getInstant())).append(' ').append(record.getLevel().getName()).append(' ')
                .append(record.getLoggerName()).append(": ").append(formatMessage(record)).append('\n');
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            line.append(trace);
        }
        return line.toString();
    }
}
