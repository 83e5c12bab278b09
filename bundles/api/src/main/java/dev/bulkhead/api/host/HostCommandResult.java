package dev.bulkhead.api.host;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a host command left: its exit status, its captured output (at most the command's cap of each
 * stream), whether output beyond the cap was dropped, and whether it was killed for running too long.
 */
public record HostCommandResult(int exitStatus, byte[] stdout, byte[] stderr, boolean timedOut, boolean stdoutTruncated,
        boolean stderrTruncated) {
    /** Go programs (runc, wireguard-go) log in logfmt; such an error line carries the message in {@code msg="..."}. */
    private static final Pattern LOGFMT_MESSAGE = Pattern.compile("msg=\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final byte[] NONE = new byte[0];

    public HostCommandResult {
        stdout = stdout == null ? NONE : stdout;
        stderr = stderr == null ? NONE : stderr;
    }

    /** A result whose output was kept whole. */
    public HostCommandResult(int exitStatus, byte[] stdout, byte[] stderr, boolean timedOut) {
        this(exitStatus, stdout, stderr, timedOut, false, false);
    }

    public boolean succeeded() {
        return exitStatus == 0 && !timedOut;
    }

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }

    /** The last non-blank line of stderr, without logfmt decoration, for one-line error messages. */
    public String stderrLine() {
        return lastLine(stderrText());
    }

    /** The last non-blank line of the text, without logfmt decoration. */
    public static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        String last = lines[lines.length - 1].strip();
        Matcher m = LOGFMT_MESSAGE.matcher(last);
        return m.find() ? m.group(1).replace("\\\"", "\"").replace("\\\\", "\\") : last;
    }
}
