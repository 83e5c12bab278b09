package dev.bulkhead.api.hypervisor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import dev.bulkhead.api.AdminException;

/**
 * A domain's console log as a backend gives it ({@link HypervisorBackend#consoleLog}): a file the backend appends the
 * console's output to, of which the last {@link #LIMIT} bytes are read, whatever the guest wrote.
 *
 * @since 2.2
 */
public final class ConsoleLogs {
    /** The most of a console log that is read: its end. */
    public static final int LIMIT = 1024 * 1024;

    private ConsoleLogs() {
    }

    /**
     * The last {@link #LIMIT} bytes of {@code log}, as UTF-8 (a character the cut splits is replaced); empty when there
     * is no log yet.
     *
     * @throws AdminException naming {@code domain} when the log cannot be read
     */
    public static String tail(String domain, Path log) {
        try (InputStream in = Files.newInputStream(log)) {
            in.skipNBytes(Math.max(0, Files.size(log) - LIMIT));
            // bounded even when the guest writes on meanwhile
            return new String(in.readNBytes(LIMIT), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new AdminException("cannot read the console log of '" + domain + "': " + e.getMessage(), e);
        }
    }
}
