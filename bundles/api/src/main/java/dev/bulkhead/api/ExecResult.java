package dev.bulkhead.api;

import java.nio.charset.StandardCharsets;

/** What a command run inside a qube left behind: its exit status and its output. */
public final class ExecResult {
    private final int exitStatus;
    private final byte[] stdout;
    private final byte[] stderr;

    public ExecResult(int exitStatus, byte[] stdout, byte[] stderr) {
        this.exitStatus = exitStatus;
        this.stdout = stdout.clone();
        this.stderr = stderr.clone();
    }

    public int exitStatus() {
        return exitStatus;
    }

    public byte[] stdout() {
        return stdout.clone();
    }

    public byte[] stderr() {
        return stderr.clone();
    }

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }
}
