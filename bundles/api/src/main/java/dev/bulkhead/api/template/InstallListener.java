package dev.bulkhead.api.template;

import org.osgi.annotation.versioning.ConsumerType;

/** Hears how an install proceeds, e.g. to draw a progress bar. Called on the installing thread. */
@ConsumerType
@FunctionalInterface
public interface InstallListener {
    /** The steps of an install, in order. */
    enum Phase {
        /** The manifest and its signature are checked. */
        SIGNATURE,
        /** The payload is read and hashed; {@code total} is its size in bytes. */
        PAYLOAD,
        /** The root archive is unpacked; {@code total} is the bytes it unpacks to. */
        UNPACK,
        /** The TemplateVM is made from it. */
        IMPORT,
        /** Installed. */
        DONE
    }

    /** Nothing to hear. */
    InstallListener NONE = (phase, done, total) -> {
    };

    void progress(Phase phase, long done, long total);
}
