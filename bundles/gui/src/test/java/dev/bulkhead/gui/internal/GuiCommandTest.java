package dev.bulkhead.gui.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.NoSuchQubeException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.gui.GuiWindow;
import dev.bulkhead.testing.FakeGuiService;

/** {@code qvm:gui list}: what it prints for the sessions the daemon has, and what it refuses. */
class GuiCommandTest {
    private static final Set<String> QUBES = Set.of("a", "b", "c", "quiet");

    private final FakeGuiService daemon = new FakeGuiService();
    /** Knows the qubes in {@link #QUBES}; nothing else of it is used. */
    private final QubeAdmin admin = (QubeAdmin) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { QubeAdmin.class },
            (proxy, method, args) -> {
                if (!method.getName().equals("get")) {
                    throw new UnsupportedOperationException(method.getName());
                }
                String name = (String) args[0];
                if (!QUBES.contains(name)) {
                    throw new NoSuchQubeException(name);
                }
                return new Qube(name, 1, QubeClass.AppVM, PowerState.Running, Map.of(), Map.of("gui", "1"), Set.of());
            });

    private String gui(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new GuiCommand(daemon, admin).run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theTableHasAHeaderAlignedColumnsTheQubesOwnTitlesAndGeometryAsWxHPlusXPlusY() {
        assertEquals("""
                QUBE  WINDOW  TITLE                GEOMETRY
                a     12      notes: Ctrl-C; quit  200x150+30+40
                a     4097    -                    1x1+-5+0
                bb    7       xterm                484x316+0+0
                """, GuiCommand.table(List.of(
                new GuiWindow("a", 12, "notes: Ctrl-C; quit", 30, 40, 200, 150, true, false),
                new GuiWindow("a", 4097, "", -5, 0, 1, 1, true, true),
                new GuiWindow("bb", 7, "xterm", 0, 0, 484, 316, true, false))));
    }

    @Test
    void aControlCharacterInATitleIsShownAsAQuestionMarkNeverSentToTheTerminal() {
        String table = GuiCommand.table(List.of(new GuiWindow("a", 1, "x\u001b]0;owned\u0007y", 0, 0, 10, 10, true, false)));
        assertTrue(table.contains("x?]0;owned?y"), table);
        assertTrue(table.chars().noneMatch(c -> c < 0x20 && c != '\n'), table);
    }

    @Test
    void listShowsTheWindowsOfEveryOpenSessionByQubeAndLeavesEndedSessionsOut() {
        daemon.open("b", new GuiWindow("b", 3, "editor", 400, 300, 200, 100, true, false));
        daemon.ended("c", "protocol violation: window 1 was never created", new GuiWindow("c", 9, "gone", 0, 0, 5, 5, true, false));
        daemon.open("a", new GuiWindow("a", 11, "notes", 30, 40, 200, 150, true, false),
                new GuiWindow("a", 5, "menu", 35, 60, 80, 40, true, true));
        assertEquals("""
                QUBE  WINDOW  TITLE   GEOMETRY
                a     11      notes   200x150+30+40
                a     5       menu    80x40+35+60
                b     3       editor  200x100+400+300
                """, gui("list"));
        assertEquals("""
                QUBE  WINDOW  TITLE   GEOMETRY
                b     3       editor  200x100+400+300
                """, gui("list", "b"));
    }

    @Test
    void withNoWindowsListPrintsOnePlainLineSayingWhy() {
        assertEquals("no qube shows a window\n", gui("list"));
        assertEquals("qube quiet shows no window: it has no GUI session (that needs the feature gui and a running qube)\n",
                gui("list", "quiet"));
        daemon.open("a");
        assertEquals("qube a shows no window\n", gui("list", "a"));
        daemon.ended("c", "protocol violation: title \u001b[2J");
        assertEquals("qube c shows no window: its GUI session ended (protocol violation: title ?[2J)\n", gui("list", "c"));
    }

    @Test
    void anUnknownQubeIsRefusedByName() {
        NoSuchQubeException e = assertThrows(NoSuchQubeException.class, () -> gui("list", "nosuch"));
        assertEquals("no such qube: 'nosuch'", e.getMessage());
    }

    @Test
    void helpPrintsTheUsageAndWhatEachColumnMeans() {
        String help = gui("--help");
        assertTrue(help.startsWith("usage: qvm:gui list [QUBE]\n"), help);
        assertTrue(help.contains("WIDTHxHEIGHT+X+Y"), help);
        assertEquals(help, gui("-h"));
        assertEquals(help, gui("list", "--help"));
    }

    @Test
    void anythingButListOrMoreThanOneQubeIsRefusedWithTheUsage() {
        InvalidValueException other = assertThrows(InvalidValueException.class, () -> gui("show"));
        assertEquals("invalid subcommand 'show': list; usage: qvm:gui list [QUBE]", other.getMessage());
        InvalidValueException none = assertThrows(InvalidValueException.class, () -> gui());
        assertTrue(none.getMessage().endsWith("usage: qvm:gui list [QUBE]"), none.getMessage());
        InvalidValueException two = assertThrows(InvalidValueException.class, () -> gui("list", "a", "b"));
        assertTrue(two.getMessage().endsWith("usage: qvm:gui list [QUBE]"), two.getMessage());
        InvalidValueException option = assertThrows(InvalidValueException.class, () -> gui("list", "--all"));
        assertTrue(option.getMessage().startsWith("invalid option '--all'"), option.getMessage());
    }
}
