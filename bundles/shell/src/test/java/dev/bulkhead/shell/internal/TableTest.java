package dev.bulkhead.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class TableTest {
    @Test
    void emptyCellsShowAsADash() {
        assertEquals("-", Table.dash(null));
        assertEquals("-", Table.dash(""));
        assertEquals("sys-net", Table.dash("sys-net"));
    }

    @Test
    void tableAlignsColumns() {
        Table t = new Table("NAME", "STATE");
        t.row("dom0", "Running");
        t.row("a-long-name", "Halted");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        t.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertEquals("NAME         STATE\ndom0         Running\na-long-name  Halted\n", bytes.toString(StandardCharsets.UTF_8));
    }
}
