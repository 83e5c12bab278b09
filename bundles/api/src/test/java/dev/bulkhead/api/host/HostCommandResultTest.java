package dev.bulkhead.api.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class HostCommandResultTest {
    @Test
    void stderrLineIsTheLastLineWithoutLogfmtDecoration() {
        assertEquals("container does not exist",
                result("time=\"2026-01-01T00:00:00Z\" level=error msg=\"container does not exist\"\n").stderrLine());
        assertEquals("exec: \"/bin/sh\": stat /bin/sh: no such file or directory", result(
                "level=warning msg=\"first\"\ntime=\"t\" level=error msg=\"exec: \\\"/bin/sh\\\": stat /bin/sh: no such file or directory\"\n")
                .stderrLine());
        assertEquals("Cannot find device \"vif3.0\"", result("Cannot find device \"vif3.0\"\n\n").stderrLine());
        assertEquals("", result("").stderrLine());
    }

    @Test
    void aTimeoutIsReportedAsSuch() {
        HostCommand command = HostCommand.of(Duration.ofMillis(1500), List.of("runc", "state", "x"));

        assertEquals("'runc state x' did not finish within 1500 ms and was killed",
                command.failure(new HostCommandResult(137, new byte[0], new byte[0], true)).getMessage());
    }

    private static HostCommandResult result(String stderr) {
        return new HostCommandResult(1, new byte[0], stderr.getBytes(StandardCharsets.UTF_8), false);
    }
}
