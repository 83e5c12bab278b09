package dev.bulkhead.backend.lite.internal;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a host command left: exit status, captured output, and whether it was killed for running too long. */
record CommandResult(int exitStatus, byte[] stdout, byte[] stderr, boolean timedOut) {
    /** runc logs through logrus; its error lines carry the message in {@code msg="..."}. */
    private static final Pattern LOGRUS_MESSAGE = Pattern.compile("msg=\"((?:[^\"\\\\]|\\\\.)*)\"");

    boolean succeeded() {
        return exitStatus == 0 && !timedOut;
    }

    String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }

    /** The last non-blank line of stderr, without logrus decoration, for one-line error messages. */
    String stderrLine() {
        return lastLine(stderrText());
    }

    static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        String last = lines[lines.length - 1].strip();
        Matcher m = LOGRUS_MESSAGE.matcher(last);
        return m.find() ? m.group(1).replace("\\\"", "\"").replace("\\\\", "\\") : last;
    }
}
