package dev.bulkhead.console.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletAsyncSupported;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeEventListener;
import dev.bulkhead.api.json.JsonMappers;
import dev.bulkhead.api.policy.CallListener;
import dev.bulkhead.api.policy.CallRecord;
import dev.bulkhead.api.policy.Prompt;
import dev.bulkhead.api.policy.PromptAnswer;
import dev.bulkhead.api.policy.PromptListener;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code /api/events}: the platform's events as Server-Sent Events, one JSON object per event. Each
 * client has a bounded queue written by a thread of its own, so a client that stops reading holds up
 * nobody: when its queue is full it is disconnected (its EventSource reconnects and reloads).
 */
@Component(service = { Servlet.class, QubeEventListener.class, PromptListener.class, CallListener.class })
@HttpWhiteboardServletPattern("/api/events")
@HttpWhiteboardServletName("bulkhead-events")
@HttpWhiteboardServletAsyncSupported
public final class EventStreamServlet extends HttpServlet implements QubeEventListener, PromptListener, CallListener {
    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(EventStreamServlet.class.getName());
    static final int MAX_CLIENTS = 32;
    static final int QUEUE_LENGTH = 1024;
    /** A comment line this often keeps idle connections from timing out and finds dead ones. */
    static final long KEEPALIVE_SECONDS = 15;

    private final transient List<Client> clients = new CopyOnWriteArrayList<>();
    private final transient ObjectMapper json = JsonMappers.create();
    private final transient AtomicLong ids = new AtomicLong();
    private final transient ExecutorService writers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "bulkhead-console-events");
        t.setDaemon(true);
        return t;
    });
    private final transient ScheduledExecutorService keepalive = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bulkhead-console-keepalive");
        t.setDaemon(true);
        return t;
    });

    public EventStreamServlet() {
        keepalive.scheduleWithFixedDelay(() -> broadcast(": keepalive\n\n"), KEEPALIVE_SECONDS, KEEPALIVE_SECONDS, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        keepalive.shutdownNow();
        clients.forEach(Client::close);
        writers.shutdownNow();
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        if (clients.size() >= MAX_CLIENTS) {
            res.setStatus(503);
            res.setContentType(Problem.MEDIA_TYPE);
            try (JsonGenerator g = json.getFactory().createGenerator(res.getOutputStream())) {
                g.writeObject(Json.problem(Problem.of(503, "too-many-streams", "Too many event streams",
                        "already " + MAX_CLIENTS + " event streams are open; close one first")));
            }
            return;
        }
        res.setStatus(200);
        res.setContentType("text/event-stream");
        res.setCharacterEncoding("UTF-8");
        AsyncContext async = req.startAsync();
        async.setTimeout(0);
        Client client = new Client(async, res.getOutputStream());
        async.addListener(client);
        clients.add(client);
        client.send("retry: 2000\n: connected\n\n");
    }

    @Override
    public void onEvent(QubeEvent event) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (JsonGenerator g = json.getFactory().createGenerator(buf)) {
            g.writeObject(Json.event(event));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot write event " + event + " as JSON", e);
            return;
        }
        broadcast("id: " + ids.incrementAndGet() + "\ndata: " + buf.toString(StandardCharsets.UTF_8) + "\n\n");
    }

    /** A prompt opened: event {@code prompt}, for the console's answer dialog. */
    @Override
    public void opened(Prompt prompt) {
        named("prompt", new PolicyForms.PromptEvent("opened", PolicyForms.prompt(prompt), null));
    }

    @Override
    public void closed(Prompt prompt, PromptAnswer answer) {
        named("prompt", new PolicyForms.PromptEvent("closed", PolicyForms.prompt(prompt), PolicyForms.answer(answer)));
    }

    /** A call the policy decided: event {@code call}, for the policy page's list. */
    @Override
    public void recorded(CallRecord call) {
        named("call", PolicyForms.call(call));
    }

    /** A named event, which a page's plain message handler does not see: only who listens for that name. */
    private void named(String event, Object form) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (JsonGenerator g = json.getFactory().createGenerator(buf)) {
            g.writeObject(form);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot write a " + event + " event as JSON", e);
            return;
        }
        broadcast("event: " + event + "\nid: " + ids.incrementAndGet() + "\ndata: " + buf.toString(StandardCharsets.UTF_8) + "\n\n");
    }

    private void broadcast(String chunk) {
        for (Client c : clients) {
            c.send(chunk);
        }
    }

    /** One open stream. */
    private final class Client implements AsyncListener {
        private final AsyncContext async;
        private final OutputStream out;
        private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(QUEUE_LENGTH);
        private final AtomicBoolean draining = new AtomicBoolean();
        private final AtomicBoolean closed = new AtomicBoolean();

        Client(AsyncContext async, OutputStream out) {
            this.async = async;
            this.out = out;
        }

        void send(String chunk) {
            if (closed.get()) {
                return;
            }
            if (!queue.offer(chunk)) {
                LOG.log(Level.WARNING, "an event stream client stopped reading; disconnecting it");
                close();
                return;
            }
            if (draining.compareAndSet(false, true)) {
                try {
                    writers.execute(this::drain);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    close();
                }
            }
        }

        private void drain() {
            try {
                while (true) {
                    String chunk;
                    while ((chunk = queue.poll()) != null) {
                        out.write(chunk.getBytes(StandardCharsets.UTF_8));
                    }
                    out.flush();
                    draining.set(false);
                    // Something queued between the last poll and the flag going down is written now.
                    if (queue.isEmpty() || !draining.compareAndSet(false, true)) {
                        return;
                    }
                }
            } catch (IOException | IllegalStateException e) {
                close();
            }
        }

        void close() {
            if (closed.compareAndSet(false, true)) {
                clients.remove(this);
                try {
                    async.complete();
                } catch (IllegalStateException e) {
                    // already completed by the container
                }
            }
        }

        @Override
        public void onComplete(AsyncEvent event) {
            closed.set(true);
            clients.remove(this);
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            close();
        }

        @Override
        public void onError(AsyncEvent event) {
            close();
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // not restarted
        }
    }
}
