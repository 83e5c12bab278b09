package dev.bulkhead.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.NoSuchQubeException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.gui.GuiService;
import dev.bulkhead.testing.FakeGuiService;

/**
 * {@code qvm:run --gui}: how it reads its arguments and what it asks the admin service to run. Qube
 * {@code a} has the feature gui, {@code plain} does not; the launcher "prints" pid 4242.
 */
class QvmRunCommandTest {
    /** A GUI daemon with no sessions: qvm:run --gui needs one present. */
    private final GuiService daemon = new FakeGuiService();

    /** Each run: the qube and the command. */
    private final List<Object[]> runs = new ArrayList<>();
    private ExecResult launcher = new ExecResult(0, "4242\n".getBytes(StandardCharsets.UTF_8), new byte[0]);
    private final QubeAdmin admin = (QubeAdmin) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { QubeAdmin.class },
            (proxy, method, args) -> switch (method.getName()) {
                case "get" -> qube((String) args[0]);
                case "run" -> {
                    runs.add(new Object[] { args[0], args[1] });
                    yield launcher;
                }
                default -> throw new UnsupportedOperationException(method.getName());
            });
    private final QvmRunCommand command = new QvmRunCommand(admin);
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    QvmRunCommandTest() {
        command.gui = daemon;
    }

    private static Qube qube(String name) {
        Map<String, String> features = switch (name) {
            case "a" -> Map.of("gui", "1");
            case "plain" -> Map.of("gui", "0");
            default -> throw new NoSuchQubeException(name);
        };
        return new Qube(name, 2, QubeClass.AppVM, PowerState.Halted, Map.of(), features, Set.of());
    }

    private String run(String... args) throws IOException {
        command.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void guiHandsTheProgramAndEachArgumentToTheLauncherAsAVectorUnjoined() throws IOException {
        String printed = run("--gui", "a", "xterm", "-T", "x; touch /tmp/owned", "$(id)", "`id`", "a b", "");
        assertEquals(1, runs.size());
        assertEquals("a", runs.get(0)[0]);
        List<String> expected = new ArrayList<>(GuiLaunch.command(List.of()));
        expected.addAll(List.of("xterm", "-T", "x; touch /tmp/owned", "$(id)", "`id`", "a b", ""));
        assertEquals(expected, runs.get(0)[1]);
        assertEquals("started xterm in a on display :0 (pid 4242)\n", printed);
    }

    @Test
    void optionsAfterTheQubeNameAreTheProgramsOwn() throws IOException {
        run("--gui", "--timeout", "5", "a", "xev", "--timeout", "9", "--gui", "--dispvm", "--help");
        List<?> launched = (List<?>) runs.get(0)[1];
        assertEquals(List.of("xev", "--timeout", "9", "--gui", "--dispvm", "--help"), launched.subList(launched.size() - 6, launched.size()));
    }

    @Test
    void aQubeWithoutTheFeatureGuiIsRefusedBeforeAnythingRuns() {
        InvalidStateException e = assertThrows(InvalidStateException.class, () -> run("--gui", "plain", "xterm"));
        assertEquals("qube plain has no display of its own: its feature gui is off (set it while the qube is halted:"
                + " qvm:features plain gui 1)", e.getMessage());
        assertThrows(NoSuchQubeException.class, () -> run("--gui", "nosuch", "xterm"));
        assertEquals(List.of(), runs);
    }

    @Test
    void withoutTheGuiDaemonInDom0AGuiProgramIsRefused() throws IOException {
        command.gui = null;
        InvalidStateException e = assertThrows(InvalidStateException.class, () -> run("--gui", "a", "xterm"));
        assertEquals("dom0 has no GUI daemon to show the windows of qube a: feature:install gui", e.getMessage());
        assertEquals(List.of(), runs);
        command.gui = daemon;
        run("--gui", "a", "xterm");
        assertEquals(1, runs.size());
    }

    @Test
    void guiNeedsAProgramAndRefusesADisposable() {
        InvalidValueException noProgram = assertThrows(InvalidValueException.class, () -> run("--gui", "a"));
        assertTrue(noProgram.getMessage().contains("usage: qvm:run"), noProgram.getMessage());
        InvalidValueException disposable = assertThrows(InvalidValueException.class, () -> run("--gui", "--dispvm", "a", "xterm"));
        assertTrue(disposable.getMessage().startsWith("invalid option '--dispvm': not with --gui"), disposable.getMessage());
        assertEquals(List.of(), runs);
    }

    @Test
    void aLauncherThatFailsPassesOnItsMessageAndStatus() {
        launcher = new ExecResult(127, new byte[0], "no program 'xtrem' in this qube\n".getBytes(StandardCharsets.UTF_8));
        ExitStatusException e = assertThrows(ExitStatusException.class, () -> run("--gui", "a", "xtrem"));
        assertEquals(127, e.status());
        assertEquals("no program 'xtrem' in this qube\n", err.toString(StandardCharsets.UTF_8));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpDescribesEveryFormGuiIncluded() throws IOException {
        String help = run("--help");
        assertTrue(help.startsWith("usage: " + QvmRunCommand.USAGE + "\n"), help);
        assertTrue(help.contains("--gui NAME PROGRAM [ARG...]"), help);
        assertEquals(List.of(), runs);
    }

    @Test
    void withoutGuiTheWordsStillGoToTheQubesShellJoinedAsQvmRunDoes() throws IOException {
        launcher = new ExecResult(0, "hi\n".getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertEquals("hi\n", run("a", "echo", "hi"));
        assertEquals(List.of("/bin/sh", "-c", "echo hi"), runs.get(0)[1]);
    }
}
