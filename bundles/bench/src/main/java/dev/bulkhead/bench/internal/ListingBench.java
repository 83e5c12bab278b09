package dev.bulkhead.bench.internal;

import static dev.bulkhead.bench.internal.BenchFigures.ms;
import static dev.bulkhead.bench.internal.BenchFigures.percentile;
import static dev.bulkhead.bench.internal.BenchFigures.putAgainstFloor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;

/** {@code qvm:ls} and the console's {@code GET /api/qubes} over the same {@code qubes} defined qubes. */
final class ListingBench {
    private static final int HTTP_SAMPLES = 100;
    private final QubeAdmin admin;
    private final CommandProcessor shell;
    private final BundleContext context;

    ListingBench(QubeAdmin admin, CommandProcessor shell, BundleContext context) {
        this.admin = admin;
        this.shell = shell;
        this.context = context;
    }

    void measure(int qubes, int rounds, ObjectNode out) throws Exception {
        List<String> made = new ArrayList<>();
        try {
            for (int i = 0; i < qubes; i++) {
                String name = BenchCommand.PREFIX + i;
                admin.create(new QubeSpec(name, QubeClass.AppVM, Label.values()[i % Label.values().length], Map.of()));
                made.add(name);
            }
            List<Long> listing = shellListings(rounds);
            ObjectNode ls = out.putObject("qvm_ls_ms");
            ls.put("qubes", qubes);
            ls.put("p50", ms(percentile(listing, 50)));
            ls.put("p99", ms(percentile(listing, 99)));
            ls.put("target_p50", 50);
            consoleListings(qubes, out.putObject("console_get_qubes_ms"));
        } finally {
            for (String name : made) {
                admin.remove(name);
            }
        }
    }

    /**
     * {@code GET /api/qubes} with every qube and its properties, through the console on loopback, next
     * to a floor measured in the same run: a tiny static file from the same server with the same
     * headers, so that the ratio is what listing the qubes costs.
     */
    private void consoleListings(int qubes, ObjectNode out) throws IOException, InterruptedException {
        String endpoint = consoleEndpoint();
        if (endpoint == null) {
            out.put("error", "no HTTP service with a loopback endpoint: is the console feature installed and configured?");
            return;
        }
        try (ConsoleToken token = ConsoleToken.create(shell)) {
            consoleListings(qubes, out, endpoint, token.secret());
        }
    }

    private void consoleListings(int qubes, ObjectNode out, String endpoint, String token) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest list = HttpRequest.newBuilder(URI.create(endpoint + "api/qubes")).header("Authorization", "Bearer " + token).build();
        HttpRequest floor = HttpRequest.newBuilder(URI.create(endpoint + "favicon.svg")).header("Authorization", "Bearer " + token).build();
        long bytes = 0;
        for (int i = 0; i < 10; i++) {
            bytes = fetch(client, list);
            fetch(client, floor);
        }
        List<Long> lists = new ArrayList<>();
        List<Long> floors = new ArrayList<>();
        // Interleaved, so that both see the same conditions.
        for (int i = 0; i < HTTP_SAMPLES; i++) {
            long t0 = System.nanoTime();
            fetch(client, list);
            long t1 = System.nanoTime();
            fetch(client, floor);
            long t2 = System.nanoTime();
            lists.add(t1 - t0);
            floors.add(t2 - t1);
        }
        out.put("qubes", qubes);
        out.put("response_bytes", bytes);
        putAgainstFloor(out, lists, 99, floors, "static_get");
        out.put("samples", HTTP_SAMPLES);
        out.put("target_p50", 20);
    }

    private static long fetch(HttpClient client, HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new AdminException("GET " + request.uri() + " answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
        }
        return r.body().length;
    }

    /** The console's base URL, from the HTTP runtime's advertised endpoints. */
    private String consoleEndpoint() {
        try {
            ServiceReference<?>[] runtimes = context.getServiceReferences("org.osgi.service.servlet.runtime.HttpServiceRuntime", null);
            for (ServiceReference<?> runtime : runtimes == null ? new ServiceReference<?>[0] : runtimes) {
                Object endpoints = runtime.getProperty("osgi.http.endpoint");
                for (String e : endpoints instanceof String[] a ? a : new String[] { String.valueOf(endpoints) }) {
                    if (e.startsWith("http://127.")) {
                        return e.endsWith("/") ? e : e + "/";
                    }
                }
            }
            return null;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<Long> shellListings(int rounds) throws Exception {
        // A thread of its own: the shell routes System.out per thread, and this one's goes to the caller.
        List<Long> times = new ArrayList<>();
        Exception[] failure = new Exception[1];
        Thread lister = new Thread(() -> {
            PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
            CommandSession session = shell.createSession(InputStream.nullInputStream(), sink, sink);
            try {
                for (int i = 0; i < rounds; i++) {
                    long t0 = System.nanoTime();
                    session.execute("qvm:ls");
                    times.add(System.nanoTime() - t0);
                }
            } catch (Exception e) {
                failure[0] = e;
            } finally {
                session.close();
            }
        }, "bench-qvm-ls");
        lister.start();
        lister.join();
        if (failure[0] != null) {
            throw failure[0];
        }
        return times;
    }
}
