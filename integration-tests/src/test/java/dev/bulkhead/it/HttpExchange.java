package dev.bulkhead.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.0 request over a plain socket, so that a test controls every header, {@code Host}
 * included (the JDK's clients do not let a caller set it). HTTP/1.0 keeps the answer unchunked:
 * its body is what comes until the server closes.
 */
final class HttpExchange {
    private static final int TIMEOUT_MS = 30_000;

    record Response(int status, Map<String, List<String>> headers, String body) {
        /** The first value of a header, by case-insensitive name, or null. */
        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null ? null : values.get(0);
        }

        List<String> headers(String name) {
            return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
        }

        @Override
        public String toString() {
            return status + " " + headers + " " + body;
        }
    }

    private final String address;
    private final int port;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private String method = "GET";
    private String path = "/";
    private byte[] body;

    HttpExchange(String address, int port) {
        this.address = address;
        this.port = port;
        headers.put("Host", (address.contains(":") ? "[" + address + "]" : address) + ":" + port);
    }

    HttpExchange request(String method, String path) {
        this.method = method;
        this.path = path;
        return this;
    }

    /** Sets a header; a null value removes it (the default Host too). */
    HttpExchange header(String name, String value) {
        if (value == null) {
            headers.remove(name);
        } else {
            headers.put(name, value);
        }
        return this;
    }

    /** A body of any bytes, valid UTF-8 or not. */
    HttpExchange body(byte[] bytes, String contentType) {
        this.body = bytes.clone();
        headers.put("Content-Type", contentType);
        return this;
    }

    HttpExchange json(String text) {
        this.body = text.getBytes(StandardCharsets.UTF_8);
        headers.put("Content-Type", "application/json");
        return this;
    }

    Response send() {
        try (Socket socket = open()) {
            InputStream in = socket.getInputStream();
            byte[] all = in.readAllBytes();
            return parse(all);
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " on " + address + ":" + port, e);
        }
    }

    /** Sends the request and leaves the answer to be read as it comes (an event stream). */
    Socket open() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(address, port), TIMEOUT_MS);
        socket.setSoTimeout(TIMEOUT_MS);
        StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.0\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        OutputStream out = socket.getOutputStream();
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            try {
                out.write(body);
            } catch (SocketException e) {
                // a server may answer before it has read the whole body (an upload refused for its length) and close,
                // so that the rest of the body finds no reader: its answer is still there to be read
                return socket;
            }
        }
        out.flush();
        return socket;
    }

    static Response parse(byte[] all) {
        String text = new String(all, StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            throw new AssertionError("not an HTTP answer: " + text);
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.computeIfAbsent(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(lines[i].substring(colon + 1).strip());
        }
        return new Response(status, headers, text.substring(end + 4));
    }

    static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        in.transferTo(buf);
        return buf.toString(StandardCharsets.UTF_8);
    }
}
