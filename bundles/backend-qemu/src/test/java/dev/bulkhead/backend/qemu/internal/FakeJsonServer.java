package dev.bulkhead.backend.qemu.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A unix-socket server speaking JSON lines, standing in for QEMU's QMP monitor or the guest agent in unit tests:
 * one client at a time, as QEMU serves them. {@code onConnect} is written to each new client; each request line
 * gets what {@code answer} returns for it (raw bytes, possibly several lines, possibly nothing).
 */
final class FakeJsonServer implements AutoCloseable {
    private final ObjectMapper json = new ObjectMapper();
    private final ServerSocketChannel server;
    private final Thread thread;
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();

    FakeJsonServer(Path socket, String onConnect, Function<JsonNode, String> answer) throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        thread = new Thread(() -> serve(onConnect, answer), "fake " + socket.getFileName());
        thread.setDaemon(true);
        thread.start();
    }

    List<JsonNode> requests() {
        return List.copyOf(requests);
    }

    List<String> commands() {
        return requests.stream().map(r -> r.path("execute").asText()).toList();
    }

    private void serve(String onConnect, Function<JsonNode, String> answer) {
        while (server.isOpen()) {
            try (SocketChannel client = server.accept()) {
                write(client, onConnect);
                ByteArrayOutputStream line = new ByteArrayOutputStream();
                ByteBuffer buffer = ByteBuffer.allocate(4096);
                while (client.read(buffer) >= 0) {
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        byte b = buffer.get();
                        if (b != '\n') {
                            line.write(b);
                            continue;
                        }
                        JsonNode request = json.readTree(line.toString(StandardCharsets.UTF_8));
                        line.reset();
                        requests.add(request);
                        write(client, answer.apply(request));
                    }
                    buffer.clear();
                }
            } catch (IOException e) {
                // the client went, or the server was closed
            }
        }
    }

    private static void write(SocketChannel client, String text) throws IOException {
        if (text != null && !text.isEmpty()) {
            ByteBuffer out = ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
            while (out.hasRemaining()) {
                client.write(out);
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
