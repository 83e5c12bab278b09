package dev.bulkhead.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.testing.Await;

/**
 * The launcher of {@code qvm:run --gui}, run by the host's /bin/sh as the qube's would run it, with a
 * unix socket of the test's own for the qube's X server: hostile arguments reach the program as they
 * are and run nothing, the program gets the qube's display, and the launcher returns while the
 * program runs on.
 */
class GuiLaunchTest {
    private static final List<String> HOSTILE = List.of("a; touch owned", "$(touch owned)", "`touch owned`", "x > owned", "'\"", "",
            "two words", "-v");

    @TempDir
    Path dir;

    private record Result(int status, String stdout, String stderr) {
    }

    private Result launch(List<String> argv, Path socket) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(GuiLaunch.command(argv, socket.toString())).directory(dir.toFile()).start();
        p.getOutputStream().close();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), stdout, stderr);
    }

    @Test
    void theProgramGetsTheQubesDisplayAndEveryArgumentAsGivenAndTheLauncherReturnsWhileItRuns() throws Exception {
        Path socket = dir.resolve("X0");
        Path args = dir.resolve("args");
        try (ServerSocketChannel x = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            x.bind(UnixDomainSocketAddress.of(socket));
            List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c",
                    "printf '%s\\n' \"$DISPLAY\" \"$@\" > args.tmp && mv args.tmp args && exec sleep 60", "program"));
            argv.addAll(HOSTILE);
            Result r = launch(argv, socket);
            assertEquals(0, r.status(), r.stderr());
            assertTrue(r.stdout().strip().matches("[0-9]+"), "the launcher prints the program's pid: " + r.stdout());
            ProcessHandle program = ProcessHandle.of(Long.parseLong(r.stdout().strip())).orElseThrow();
            try {
                Await.until("the program's record of its arguments", () -> Files.exists(args));
                List<String> expected = new ArrayList<>(List.of(GuiLaunch.DISPLAY));
                expected.addAll(HOSTILE);
                assertEquals(expected, Files.readAllLines(args));
                assertFalse(Files.exists(dir.resolve("owned")), "an argument ran as a command");
                assertTrue(program.isAlive(), "the launcher returned while the program runs on");
            } finally {
                program.destroyForcibly();
            }
        }
    }

    @Test
    void aProgramTheQubeLacksIsReportedWithStatus127() throws Exception {
        Path socket = dir.resolve("X0");
        try (ServerSocketChannel x = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            x.bind(UnixDomainSocketAddress.of(socket));
            Result r = launch(List.of("no-such-program-here", "$(touch owned)"), socket);
            assertEquals(127, r.status());
            assertEquals("no program 'no-such-program-here' in this qube\n", r.stderr());
            assertFalse(Files.exists(dir.resolve("owned")));
        }
    }
}
