package dev.bulkhead.console.internal;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.gui.GuiService;
import dev.bulkhead.api.gui.GuiSession;

/**
 * {@code /api/qubes/NAME/windows}: the windows the qube shows on dom0's display, as the GUI daemon knows
 * them. The daemon comes with the gui feature and may be absent or leave at any time: then the list is
 * empty and says so.
 */
final class WindowsResource {
    static final String NOT_INSTALLED = "GUI not installed";

    private final QubeAdmin admin;
    private final Supplier<GuiService> gui;

    /** @param gui the GUI daemon now, or null while there is none */
    WindowsResource(QubeAdmin admin, Supplier<GuiService> gui) {
        this.admin = admin;
        this.gui = gui;
    }

    ApiResponse get(String name) {
        String qube = admin.get(name).name();
        GuiService daemon = gui.get();
        if (daemon == null) {
            return list(qube, false, "none", NOT_INSTALLED, List.of());
        }
        Optional<GuiSession> session = daemon.session(qube);
        if (session.isEmpty()) {
            return list(qube, true, "none", "no GUI session: the qube needs the feature gui and to be running", List.of());
        }
        GuiSession s = session.get();
        if (!s.isOpen()) {
            return list(qube, true, "ended", "the GUI session ended: " + s.endReason().orElse(""), List.of());
        }
        return list(qube, true, "open", null, s.windows().stream().map(Json::window).toList());
    }

    private static ApiResponse list(String qube, boolean installed, String session, String note, List<Json.WindowForm> windows) {
        return ApiResponse.json(200, new Json.WindowList(qube, installed, session, note, windows));
    }
}
