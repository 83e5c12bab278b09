package dev.bulkhead.shell.client;

import java.nio.file.Path;

/** Where the platform listens for clients, given its data directory. */
public final class ClientSocket {
    private ClientSocket() {
    }

    public static Path in(Path dataDirectory) {
        return dataDirectory.resolve("run").resolve("client.sock");
    }
}
