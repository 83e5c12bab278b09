package dev.bulkhead.qrexec.internal;

import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.hypervisor.DomainProcess;
import dev.bulkhead.api.policy.CallRecord;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.PolicyRequest;

/**
 * One call, from the caller's connection to its end: reads the request (bounded, within the header timeout), routes
 * it with the source the connection belongs to (never what the caller says), runs the service through the
 * multiplexer in the target and joins the streams, records the decision, and, whatever way the call ends, kills the
 * service, closes the connection and removes the disposable made for it.
 */
final class QrexecCall implements Runnable {
    private static final System.Logger LOG = System.getLogger(QrexecCall.class.getName());
    static final String MULTIPLEXER = "/usr/lib/qubes/qubes-rpc-multiplexer";

    /** What a call needs from the daemon. */
    interface Context {
        CallRouter router();

        QubeAdmin admin();

        DomainProcess start(String target, String user, List<String> command, Map<String, String> environment);

        void record(CallRecord call);

        Duration askTimeout();

        Duration headerTimeout();

        int stderrBytes();

        ScheduledExecutorService timer();
    }

    private final Context context;
    private final String source;
    private final ReadableByteChannel in;
    private final WritableByteChannel out;
    private final Closeable connection;
    private final Consumer<OptionalInt> ended;
    private volatile DomainProcess process;
    private volatile PolicyPrompts prompts;
    private volatile String promptId;

    /**
     * @param ended told the service's exit status when the call ends, or empty when it was refused or broken off
     */
    QrexecCall(Context context, String source, ReadableByteChannel in, WritableByteChannel out, Closeable connection,
            Consumer<OptionalInt> ended) {
        this.context = context;
        this.source = source;
        this.in = in;
        this.out = out;
        this.connection = connection;
        this.ended = ended;
    }

    @Override
    public void run() {
        OptionalInt status = OptionalInt.empty();
        String disposable = null;
        StreamJoin join = new StreamJoin(in, out, this::callerGone, context.stderrBytes());
        try {
            Frames.Request request = readRequest();
            if (request == null) {
                return;
            }
            PolicyRequest asked = PolicyRequest.of(request.serviceAndArgument(), source, request.target());
            join.watchCaller(Thread.currentThread().getName() + "-in");
            CallRouter.Outcome outcome = context.router().route(asked, context.askTimeout(), (p, id) -> {
                prompts = p;
                promptId = id;
            });
            if (join.callerGone()) {
                record(asked, null, outcome.route() == null ? outcome.refusal().action() : outcome.route().action(), false,
                        "the caller hung up before its call was answered");
                if (outcome.route() != null && outcome.route().disposable()) {
                    disposable = outcome.route().target();
                }
                return;
            }
            if (outcome.refusal() != null) {
                record(asked, null, outcome.refusal().action(), false, outcome.refusal().detail());
                join.refuse();
                return;
            }
            CallRouter.Route route = outcome.route();
            if (route.disposable()) {
                disposable = route.target();
            }
            status = runService(join, asked, route);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "call from " + source + " broken off: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "call from " + source + " failed: " + e, e);
        } finally {
            join.end();
            DomainProcess running = process;
            if (running != null) {
                running.kill();
            }
            closeQuietly();
            if (disposable != null) {
                removeDisposable(disposable);
            }
            ended.accept(status);
        }
    }

    private OptionalInt runService(StreamJoin join, PolicyRequest asked, CallRouter.Route route)
            throws IOException, InterruptedException {
        String full = asked.service() + (asked.argument().equals("+") ? "" : asked.argument());
        DomainProcess started;
        try {
            started = context.start(route.target(), route.user(), List.of(MULTIPLEXER, full, source),
                    Map.of("QREXEC_REQUESTED_TARGET", asked.target()));
        } catch (AdminException e) {
            record(asked, null, route.action(), false, "cannot run the service in " + route.target() + ": " + e.getMessage());
            join.refuse();
            return OptionalInt.empty();
        }
        process = started;
        if (join.callerGone()) {
            started.kill();
            return OptionalInt.empty();
        }
        OptionalInt status;
        try {
            status = join.join(started, route.target());
        } catch (IOException e) {
            record(asked, route.target(), route.action(), true, route.detail() + "; the caller went away, the service was killed");
            throw e;
        }
        String stderr = join.stderrKept();
        if (status.isEmpty()) {
            record(asked, null, route.action(), false, "no service " + full + " in " + route.target()
                    + (stderr.isEmpty() ? "" : ": " + stderr));
        } else {
            record(asked, route.target(), route.action(), true, route.detail() + "; exit " + status.getAsInt());
            if (!stderr.isEmpty()) {
                LOG.log(Level.INFO, "service " + full + " in " + route.target() + " called by " + source + " said: " + stderr);
            }
        }
        return status;
    }

    /** The request, or null when the caller broke the protocol or was too slow (its connection then just ends). */
    private Frames.Request readRequest() throws IOException {
        ScheduledFuture<?> deadline = context.timer().schedule(this::closeQuietly, context.headerTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        try {
            ByteBuffer header = ByteBuffer.allocate(Frames.HEADER_BYTES);
            ByteBuffer payload = ByteBuffer.allocate(Frames.MAX_PAYLOAD);
            int type = Frames.read(in, header, payload);
            if (type != Frames.REQUEST) {
                LOG.log(Level.DEBUG, "qube " + source + " sent frame " + type + " instead of a request");
                return null;
            }
            return Frames.request(payload);
        } catch (Frames.ProtocolException e) {
            LOG.log(Level.INFO, "qube " + source + " sent a bad request: " + e.getMessage());
            return null;
        } catch (IOException e) {
            LOG.log(Level.INFO, "qube " + source + " did not send its request in time or broke its connection");
            return null;
        } finally {
            deadline.cancel(false);
        }
    }

    private void record(PolicyRequest asked, String target, PolicyAction action, boolean allowed, String detail) {
        CallRecord call = new CallRecord(Instant.now(), source, asked.service(), asked.argument(), asked.target(), target, action,
                allowed, detail);
        LOG.log(allowed ? Level.INFO : Level.WARNING, "call " + source + " -> " + asked.target()
                + (target == null || target.equals(asked.target()) ? "" : " (" + target + ")") + " " + asked.service()
                + asked.argument() + ": " + (allowed ? "allowed" : "refused") + ", " + detail);
        context.record(call);
    }

    /** The caller hung up before the end: withdraw its prompt, kill its service, end the connection. */
    private void callerGone() {
        PolicyPrompts p = prompts;
        String id = promptId;
        if (p != null && id != null) {
            p.cancel(id);
        }
        DomainProcess running = process;
        if (running != null) {
            running.kill();
        }
        closeQuietly();
    }

    private void removeDisposable(String name) {
        try {
            context.admin().kill(name);
        } catch (AdminException e) {
            LOG.log(Level.DEBUG, "disposable " + name + " of a call from " + source + " ended already: " + e.getMessage());
        }
    }

    private void closeQuietly() {
        try {
            connection.close();
        } catch (IOException e) {
            // closed already
        }
    }
}
