package dev.bulkhead.api.gui;

import java.nio.channels.ByteChannel;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.Label;

/** dom0's GUI daemon: one session per qube, each serving that qube's GUI stream. */
@ProviderType
public interface GuiService {
    /**
     * Serves {@code qube}'s GUI stream on {@code channel}, showing its windows in frames of
     * {@code label}'s colour. The session owns the channel and closes it when it ends.
     *
     * @throws InvalidStateException when no dom0 display is configured, or the qube already has a session
     */
    GuiSession attach(String qube, Label label, ByteChannel channel);

    /** The session of {@code qube}, open or ended, until the next attach replaces it. */
    Optional<GuiSession> session(String qube);

    /** Every qube's session. */
    List<GuiSession> sessions();
}
