package dev.bulkhead.gui.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * dom0's one clipboard buffer, filled and emptied only by the user's keys: the copy keys in a
 * qube's window ask that qube for its clipboard, whose answer alone fills the buffer; the paste
 * keys in another qube's window hand the buffer to that qube, if {@code clipboard_deny} does not
 * refuse it and the qrexec policy allows it ({@link ClipboardDecision}; for {@code ask}, once the
 * user has), and empty it. Every transfer is logged with source, target and size, never the content.
 */
final class ClipboardBroker {
    private static final System.Logger LOG = System.getLogger(ClipboardBroker.class.getName());

    /** One transfer or refusal, as logged. */
    record Transfer(String source, String target, int bytes, String outcome) {
        @Override
        public String toString() {
            return "clipboard " + outcome + ": " + bytes + " bytes from " + source + (target == null ? "" : " to " + target);
        }
    }

    private ClipboardPolicy policy = ClipboardPolicy.parse(new String[0]);
    private final ClipboardDecision decision;
    private int maxBytes;
    private final List<Transfer> log = new ArrayList<>();
    private String awaitedSource;
    private String source;
    private byte[] buffer;

    ClipboardBroker(ClipboardDecision decision) {
        this.decision = decision;
    }

    /** Applies a new policy and size limit to the transfers from now on. */
    synchronized void configure(ClipboardPolicy policy, int maxBytes) {
        this.policy = policy;
        this.maxBytes = maxBytes;
    }

    /** The user pressed the copy keys in {@code qube}'s window: its next clipboard answer is awaited. */
    synchronized void copyRequested(String qube) {
        awaitedSource = qube;
    }

    /** {@code qube} sent its clipboard; kept only if it is the answer awaited and not too big. */
    synchronized void received(String qube, byte[] data) {
        if (!qube.equals(awaitedSource)) {
            record(new Transfer(qube, null, data.length, "ignored, not asked for"));
            return;
        }
        awaitedSource = null;
        if (data.length > maxBytes) {
            record(new Transfer(qube, null, data.length, "refused, over " + maxBytes + " bytes"));
            return;
        }
        source = qube;
        buffer = data.clone();
        record(new Transfer(qube, null, data.length, "copied"));
    }

    /**
     * The user pressed the paste keys in {@code target}'s window: the buffer is handed to {@code send} once the
     * paste is allowed (at once, or when the user answers a prompt), and emptied unless it was filled anew meanwhile.
     */
    void paste(String target, Consumer<byte[]> send) {
        byte[] data;
        String from;
        synchronized (this) {
            if (buffer == null) {
                return;
            }
            data = buffer;
            from = source;
            if (!policy.allows(from, target)) {
                record(new Transfer(from, target, data.length, "denied"));
                return;
            }
        }
        decision.decide(from, target, data.length).thenAccept(refused -> {
            synchronized (this) {
                if (refused != null) {
                    record(new Transfer(from, target, data.length, "denied"));
                    return;
                }
                record(new Transfer(from, target, data.length, "pasted"));
                if (buffer == data) {
                    buffer = null;
                    source = null;
                }
            }
            send.accept(data);
        });
    }

    synchronized boolean allows(String source, String target) {
        return policy.allows(source, target);
    }

    synchronized List<Transfer> transfers() {
        return List.copyOf(log);
    }

    private void record(Transfer t) {
        log.add(t);
        LOG.log(System.Logger.Level.INFO, t.toString());
    }
}
