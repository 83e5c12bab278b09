package dev.bulkhead.shell.internal.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.bulkhead.fuzz.Fuzz;
import dev.bulkhead.shell.client.Client;
import dev.bulkhead.shell.client.ClientSocket;

/**
 * Generated hostile arguments through the real client, socket and Gogo runtime: each arrives at
 * the command byte for byte, no second command runs and no file is written, whatever shell syntax
 * the argument holds. Fixed seed and tries.
 */
class ClientChannelInjectionTest {
    private static final long SEED = 20261204;
    private static final String[] FRAGMENTS = {";", "|", "&", "&&", "||", "\n", "\r\n", "$(", ")", "${", "}", "{", "<", ">", ">>",
        "2>&1", "<<", "'", "\"", "\\", "`", "$", "$SCOPE", "#", "*", "?", "~", " ", "\t", "\u001b[2J", "\u007f", "\u0085", "é",
        "✓", "𝄞", "\u202e", "t:remove canary", "t:touch ", "$(t:remove x)", "{ t:remove y }", "-", "--", "--loud"};
    private final System.Logger log = System.getLogger(ClientChannelInjectionTest.class.getName());
    private Path data;
    private Path victims;
    private TestShell shell;
    private ClientSocketServer server;

    @BeforeEach
    void serve() throws IOException {
        data = Files.createTempDirectory("bulkhead-injection-");
        victims = Files.createDirectories(data.resolve("victims"));
        shell = new TestShell();
        server = new ClientSocketServer(shell.processor, shell.threadIO, ClientSocket.in(data), log);
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        shell.close();
        try (Stream<Path> walk = Files.walk(data)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /**
     * One to ten pieces joined: three in four shell syntax, controls, Unicode, commands or options,
     * the others the path of a file a hostile command would write or remove.
     */
    private String hostile(Random random) {
        int pieces = 1 + random.nextInt(10);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < pieces; i++) {
            text.append(random.nextInt(4) < 3 ? Fuzz.oneOf(random, FRAGMENTS)
                    : victims.resolve(Fuzz.oneOf(random, "v1", "v2", "v 3")).toString());
        }
        return text.toString();
    }

    /** A key and an extra argument, both hostile. */
    record KeyAndExtra(String key, String extra) {
    }

    private int run(ByteArrayOutputStream out, String... args) {
        return new Client(new PrintStream(out, true), new PrintStream(new ByteArrayOutputStream(), true))
                .run(ClientSocket.in(data), List.of(args));
    }

    private void assertNothingElseRan(String what) throws IOException {
        assertEquals(0, shell.commands.removals.get(), "a second command ran for " + what);
        try (Stream<Path> files = Files.list(victims)) {
            assertEquals(List.of(), files.toList(), "a file was written for " + what);
        }
    }

    @Test
    void aHostileValueArrivesByteForByteAndRunsNothing() {
        Fuzz.forAll(SEED, 150, this::hostile, value -> {
            assertEquals(0, run(new ByteArrayOutputStream(), "t:note", "k", value));
            assertEquals(value, shell.commands.notes.get("k"));
            ByteArrayOutputStream readBack = new ByteArrayOutputStream();
            assertEquals(0, run(readBack, "t:read", "k"));
            assertArrayEquals((value + "\n").getBytes(StandardCharsets.UTF_8), readBack.toByteArray());
            assertNothingElseRan(value);
        });
    }

    @Test
    void hostileKeysAndExtraArgumentsStayArguments() {
        Fuzz.forAll(SEED, 100, random -> new KeyAndExtra(hostile(random), hostile(random)), input -> {
            String key = input.key();
            assertEquals(0, run(new ByteArrayOutputStream(), "t:note", key, "v"));
            assertEquals("v", shell.commands.notes.get(key));
            // one argument too many: Gogo refuses the call rather than running anything in the extra one
            assertEquals(1, run(new ByteArrayOutputStream(), "t:note", key, "w", input.extra()));
            assertEquals("v", shell.commands.notes.get(key));
            assertNothingElseRan(key + " / " + input.extra());
        });
    }

    @Test
    void aHostileCommandNameRunsNothing() {
        Fuzz.forAll(SEED, 100, this::hostile, name -> {
            // ';' keeps the name from ever being a registered command's
            assertEquals(Client.NOT_RUN, run(new ByteArrayOutputStream(), "t:note;" + name, "k", "v"));
            assertEquals(null, shell.commands.notes.get("k"));
            assertNothingElseRan(name);
        });
    }
}
