package dev.bulkhead.policy.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.policy.CallListener;
import dev.bulkhead.api.policy.CallLog;
import dev.bulkhead.api.policy.CallRecord;

/**
 * The call log: the latest calls in a bounded ring in memory, each also one line of the platform log (who called what
 * where, and the decision; never data), and told to the {@link CallListener} whiteboard services on the recording
 * thread.
 */
@Component(configurationPid = CallLogConfig.PID)
@Designate(ocd = CallLogConfig.class)
public final class CallLogService implements CallLog {
    static final int MAX_SIZE = 100_000;
    private static final System.Logger LOG = System.getLogger(CallLogService.class.getName());
    private final List<CallListener> listeners = new CopyOnWriteArrayList<>();
    private CallRecord[] ring;
    /** How many calls were ever recorded; the next goes to {@code count % ring.length}. */
    private long count;

    @Activate
    public CallLogService(CallLogConfig config) {
        ring = new CallRecord[size(config)];
    }

    @Modified
    synchronized void modified(CallLogConfig config) {
        List<CallRecord> kept = recent(Integer.MAX_VALUE);
        ring = new CallRecord[size(config)];
        count = 0;
        kept.subList(Math.max(0, kept.size() - ring.length), kept.size()).forEach(this::add);
    }

    private static int size(CallLogConfig config) {
        int n = config.size();
        if (n < 1 || n > MAX_SIZE) {
            throw new InvalidValueException("call log size", Integer.toString(n), "1 to " + MAX_SIZE);
        }
        return n;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(CallListener l) {
        listeners.add(l);
    }

    void removeListener(CallListener l) {
        listeners.remove(l);
    }

    @Override
    public void record(CallRecord call) {
        synchronized (this) {
            add(call);
        }
        LOG.log(System.Logger.Level.INFO, line(call));
        for (CallListener l : listeners) {
            try {
                l.recorded(call);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "call listener " + l.getClass().getName() + " failed", e);
            }
        }
    }

    private void add(CallRecord call) {
        ring[(int) (count % ring.length)] = call;
        count++;
    }

    @Override
    public synchronized List<CallRecord> recent(int max) {
        int n = (int) Math.min(Math.min(count, ring.length), Math.max(0, max));
        List<CallRecord> out = new ArrayList<>(n);
        for (long i = count - n; i < count; i++) {
            out.add(ring[(int) (i % ring.length)]);
        }
        return out;
    }

    /** The platform log's line for a call: every field a qube chose shown printable and cut. */
    static String line(CallRecord c) {
        return "qrexec call " + PolicyNames.printable(c.source()) + " -> " + PolicyNames.printable(c.targetAsked())
                + (c.target() == null || c.target().equals(c.targetAsked()) ? "" : " (" + PolicyNames.printable(c.target()) + ")")
                + " " + PolicyNames.printable(c.service() + (c.argument().equals("+") ? "" : c.argument()))
                + ": " + c.action().word() + ", " + (c.allowed() ? "allowed" : "refused") + "; " + PolicyNames.printable(c.detail());
    }
}
