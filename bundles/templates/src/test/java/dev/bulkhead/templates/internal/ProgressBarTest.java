package dev.bulkhead.templates.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.template.InstallListener.Phase;

class ProgressBarTest {
    @Test
    void aLineShowsPhaseBarPercentAndBytes() {
        assertEquals("payload   [###############               ]  50% 5.0/10.0 MiB",
                TemplateCommands.ProgressBar.line(Phase.PAYLOAD, 5L << 20, 10L << 20));
        assertEquals("signature [                              ]   0%", TemplateCommands.ProgressBar.line(Phase.SIGNATURE, 0, 1));
    }

    @Test
    void theBarIsRedrawnInPlaceOnlyWhenItChangesAndEndsWithANewline() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TemplateCommands.ProgressBar bar = new TemplateCommands.ProgressBar(new PrintStream(out, true, StandardCharsets.UTF_8));

        bar.progress(Phase.IMPORT, 0, 1);
        bar.progress(Phase.IMPORT, 0, 1);
        bar.progress(Phase.DONE, 1, 1);
        bar.finish();

        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(2, text.chars().filter(c -> c == '\r').count(), text);
        assertEquals('\n', text.charAt(text.length() - 1));
    }
}
