package dev.bulkhead.api.gui;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/** One qube's GUI connection and the windows it shows. */
@ProviderType
public interface GuiSession {
    String qube();

    /** The qube's windows, mapped or not, in the order it created them. */
    List<GuiWindow> windows();

    boolean isOpen();

    /** Why the session ended: the protocol violation, the end of the stream, or a close. */
    Optional<String> endReason();

    /** Ends the session and removes its windows from dom0's display. */
    void close();
}
