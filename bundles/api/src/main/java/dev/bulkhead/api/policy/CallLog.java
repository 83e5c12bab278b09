package dev.bulkhead.api.policy;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The log of calls between qubes: every decision of the policy on a real call, kept in a bounded list in memory and
 * written to the platform log, one line each. Whoever makes calls records them here; whoever shows them reads
 * {@link #recent} or listens as a {@link CallListener} whiteboard service.
 *
 * @since 1.1
 */
@ProviderType
public interface CallLog {
    /** Adds a call to the log. */
    void record(CallRecord call);

    /** The last {@code max} calls (fewer when the log holds fewer), oldest first. */
    List<CallRecord> recent(int max);
}
