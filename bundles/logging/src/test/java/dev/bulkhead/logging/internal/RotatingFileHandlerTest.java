package dev.bulkhead.logging.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatingFileHandlerTest {
    @TempDir
    Path dir;

    private static LogRecord record(String message) {
        LogRecord r = new LogRecord(Level.INFO, message);
        r.setLoggerName("test");
        return r;
    }

    private List<String> files() throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aFullFileIsRotatedAndOnlyTheNewestKept() throws IOException {
        RotatingFileHandler h = new RotatingFileHandler(dir.resolve("bulkhead.log"), 200, 2, false, new LineFormatter(ZoneOffset.UTC));
        for (int i = 0; i < 40; i++) {
            h.publish(record("message number " + i));
        }
        h.close();

        assertEquals(List.of("bulkhead.log", "bulkhead.log.1", "bulkhead.log.2"), files());
        for (String name : files()) {
            assertTrue(Files.size(dir.resolve(name)) <= 200, name + " is over the limit: " + Files.size(dir.resolve(name)));
        }
        assertTrue(Files.readString(dir.resolve("bulkhead.log")).contains("message number 39"), "the newest record is in the file written");
        String older = Files.readString(dir.resolve("bulkhead.log.1"));
        String oldest = Files.readString(dir.resolve("bulkhead.log.2"));
        int newestInOne = Integer.parseInt(older.lines().reduce((a, b) -> b).orElseThrow().replaceAll(".*number ", ""));
        int newestInTwo = Integer.parseInt(oldest.lines().reduce((a, b) -> b).orElseThrow().replaceAll(".*number ", ""));
        assertTrue(newestInTwo < newestInOne, ".2 is older than .1");
        assertFalse(Files.readString(dir.resolve("bulkhead.log")).contains("message number 0\n"), "the oldest records are gone");
    }

    @Test
    void aNewHandlerAppendsToTheFileOfTheLastRun() throws IOException {
        Path file = dir.resolve("bulkhead.log");
        RotatingFileHandler first = new RotatingFileHandler(file, 10_000, 1, false, new LineFormatter(ZoneOffset.UTC));
        first.publish(record("first run"));
        first.close();
        RotatingFileHandler second = new RotatingFileHandler(file, 10_000, 1, false, new LineFormatter(ZoneOffset.UTC));
        second.publish(record("second run"));
        second.close();

        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).endsWith("INFO test: first run"), lines.get(0));
        assertTrue(lines.get(1).endsWith("INFO test: second run"), lines.get(1));
    }

    @Test
    void aFreshStartRotatesTheLastRunsFileAway() throws IOException {
        Path file = dir.resolve("bulkhead.log");
        RotatingFileHandler first = new RotatingFileHandler(file, 10_000, 3, true, new LineFormatter(ZoneOffset.UTC));
        first.publish(record("first run"));
        first.close();
        RotatingFileHandler second = new RotatingFileHandler(file, 10_000, 3, true, new LineFormatter(ZoneOffset.UTC));
        second.publish(record("second run"));
        second.close();

        assertEquals(List.of("bulkhead.log", "bulkhead.log.1"), files());
        assertTrue(Files.readString(file).endsWith("second run\n") && !Files.readString(file).contains("first run"), Files.readString(file));
        assertTrue(Files.readString(dir.resolve("bulkhead.log.1")).contains("first run"));
    }

    @Test
    void withNoFilesKeptTheFileIsEmptiedAndARecordIsNeverSplit() throws IOException {
        Path file = dir.resolve("bulkhead.log");
        RotatingFileHandler h = new RotatingFileHandler(file, 50, 0, false, new LineFormatter(ZoneOffset.UTC));
        String big = "x".repeat(120);
        h.publish(record("small"));
        h.publish(record(big));
        h.close();

        assertEquals(List.of("bulkhead.log"), files());
        List<String> lines = Files.readAllLines(file);
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).endsWith(big), "the large record is whole, alone in the file");
    }

    @Test
    void aThrowableIsWrittenWithItsStackTrace() throws IOException {
        Path file = dir.resolve("bulkhead.log");
        RotatingFileHandler h = new RotatingFileHandler(file, 100_000, 1, false, new LineFormatter(ZoneOffset.UTC));
        LogRecord r = record("failed");
        r.setThrown(new IllegalStateException("boom"));
        h.publish(r);
        h.close();

        String text = Files.readString(file);
        assertTrue(text.contains("INFO test: failed\njava.lang.IllegalStateException: boom\n\tat "), text);
    }
}
