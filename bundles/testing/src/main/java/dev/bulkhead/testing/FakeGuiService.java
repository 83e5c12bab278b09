package dev.bulkhead.testing;

import java.nio.channels.ByteChannel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.gui.GuiService;
import dev.bulkhead.api.gui.GuiSession;
import dev.bulkhead.api.gui.GuiWindow;

/**
 * A GUI daemon that serves no stream, for tests of what shows its sessions: its sessions are the ones the test puts
 * in, open or ended, listed in the order they were first put in. {@link #attach} and a session's
 * {@link GuiSession#close()} are not for such tests and throw.
 */
public final class FakeGuiService implements GuiService {
    /** A session as the daemon reports it: open while it has no end reason. */
    public record Session(String qube, List<GuiWindow> windows, Optional<String> endReason) implements GuiSession {
        public Session {
            windows = List.copyOf(windows);
        }

        @Override
        public boolean isOpen() {
            return endReason.isEmpty();
        }

        @Override
        public void close() {
            throw new UnsupportedOperationException("a fake session is not closed");
        }
    }

    private final Map<String, GuiSession> sessions = new LinkedHashMap<>();

    /** Gives {@code qube} an open session that shows {@code windows}, replacing the one it had. */
    public synchronized FakeGuiService open(String qube, GuiWindow... windows) {
        sessions.put(qube, new Session(qube, List.of(windows), Optional.empty()));
        return this;
    }

    /** Gives {@code qube} a session that ended for {@code reason}, still holding {@code windows}, replacing the one it had. */
    public synchronized FakeGuiService ended(String qube, String reason, GuiWindow... windows) {
        sessions.put(qube, new Session(qube, List.of(windows), Optional.of(reason)));
        return this;
    }

    @Override
    public GuiSession attach(String qube, Label label, ByteChannel channel) {
        throw new UnsupportedOperationException("a fake GUI daemon serves no stream");
    }

    @Override
    public synchronized Optional<GuiSession> session(String qube) {
        return Optional.ofNullable(sessions.get(qube));
    }

    @Override
    public synchronized List<GuiSession> sessions() {
        return List.copyOf(sessions.values());
    }
}
