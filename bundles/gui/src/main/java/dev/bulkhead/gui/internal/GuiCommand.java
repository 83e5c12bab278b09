package dev.bulkhead.gui.internal;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.command.CommandLine;
import dev.bulkhead.api.gui.GuiService;
import dev.bulkhead.api.gui.GuiSession;
import dev.bulkhead.api.gui.GuiWindow;

/**
 * {@code qvm:gui list [QUBE]}: the windows dom0 shows for each qube, as a table like {@code qvm:ls}. It
 * lives with the daemon, so that the shell needs no GUI and the command is there exactly when the daemon is.
 */
@Component(service = GuiCommand.class, property = { "osgi.command.scope=qvm", "osgi.command.function=gui" })
public final class GuiCommand {
    static final String USAGE = "qvm:gui list [QUBE]";
    static final String HELP = "usage: " + USAGE + "\n"
            + "  list [QUBE]  the windows of every qube's GUI session, or of QUBE's: QUBE WINDOW TITLE GEOMETRY, where WINDOW is\n"
            + "               the id the qube gave the window, TITLE the qube's own title (dom0 shows it after [QUBE]) and\n"
            + "               GEOMETRY its size and place in the qube as WIDTHxHEIGHT+X+Y";
    static final String[] HEADER = { "QUBE", "WINDOW", "TITLE", "GEOMETRY" };
    private static final Map<String, String> ALIASES = Map.of("-h", "--help");

    private final GuiService gui;
    private final QubeAdmin admin;

    @Activate
    public GuiCommand(@Reference GuiService gui, @Reference QubeAdmin admin) {
        this.gui = gui;
        this.admin = admin;
    }

    @Descriptor("Windows that qubes show on dom0's display, as a table: QUBE WINDOW TITLE GEOMETRY. Usage: " + USAGE)
    public void gui(@Descriptor("list [QUBE] | --help") String... args) {
        run(args, System.out);
    }

    void run(String[] args, PrintStream out) {
        CommandLine cl = CommandLine.parse(args, Set.of("--help"), Set.of(), ALIASES);
        if (cl.flag("--help")) {
            out.println(HELP);
            return;
        }
        List<String> words = cl.operands(1, Integer.MAX_VALUE, USAGE);
        if (!words.get(0).equals("list")) {
            throw new InvalidValueException("subcommand", CommandLine.printable(words.get(0)), "list; usage: " + USAGE);
        }
        CommandLine list = CommandLine.parse(words.subList(1, words.size()).toArray(String[]::new), Set.of("--help"), Set.of(),
                ALIASES);
        if (list.flag("--help")) {
            out.println(HELP);
            return;
        }
        List<String> qube = list.operands(0, 1, USAGE);
        if (qube.isEmpty()) {
            out.print(listing(gui.sessions(), "no qube shows a window"));
        } else {
            String name = admin.get(qube.get(0)).name();
            Optional<GuiSession> session = gui.session(name);
            out.print(listing(session.stream().toList(), session.map(s -> s.isOpen() ? "qube " + name + " shows no window"
                    : "qube " + name + " shows no window: its GUI session ended ("
                    + CommandLine.printable(s.endReason().orElse("")) + ")")
                    .orElse("qube " + name + " shows no window: it has no GUI session (that needs the feature gui and a running"
                            + " qube)")));
        }
    }

    /** The windows of the open sessions, by qube then in the order each qube made them; {@code none} when there are none. */
    static String listing(List<GuiSession> sessions, String none) {
        List<GuiWindow> windows = new ArrayList<>();
        sessions.stream().filter(GuiSession::isOpen).sorted(Comparator.comparing(GuiSession::qube))
                .forEach(s -> windows.addAll(s.windows()));
        return windows.isEmpty() ? none + "\n" : table(windows);
    }

    /** An aligned table with a header, as qvm:ls prints; an empty title shows as '-'. */
    static String table(List<GuiWindow> windows) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (GuiWindow w : windows) {
            rows.add(new String[] { w.qube(), String.valueOf(w.id()),
                    w.title().isEmpty() ? "-" : CommandLine.printable(w.title()), w.geometry() });
        }
        int[] width = new int[HEADER.length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].codePointCount(0, r[i].length()));
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                sb.append(r[i]);
                if (i < r.length - 1) {
                    sb.append(" ".repeat(width[i] - r[i].codePointCount(0, r[i].length()) + 2));
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
