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
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

import dev.bulkhead.shell.client.Client;
import dev.bulkhead.shell.client.ClientSocket;

/**
 * Generated hostile arguments through the real client, socket and Gogo runtime: each arrives at
 * the command byte for byte, no second command runs and no file is written, whatever shell syntax
 * the argument holds. Fixed seed and tries.
 */
class ClientChannelInjectionTest {
    private static final String SEED = "20261204";
    private final System.Logger log = System.getLogger(ClientChannelInjectionTest.class.getName());
    private Path data;
    private Path victims;
    private TestShell shell;
    private ClientSocketServer server;

    @BeforeProperty
    void serve() throws IOException {
        data = Files.createTempDirectory("bulkhead-injection-");
        victims = Files.createDirectories(data.resolve("victims"));
        shell = new TestShell();
        server = new ClientSocketServer(shell.processor, shell.threadIO, ClientSocket.in(data), log);
    }

    @AfterProperty
    void stop() throws IOException {
        server.close();
        shell.close();
        try (Stream<Path> walk = Files.walk(data)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Provide
    Arbitrary<String> hostile() {
        Arbitrary<String> fragment = Arbitraries.of(";", "|", "&", "&&", "||", "\n", "\r\n", "$(", ")", "${", "}", "{", "<", ">", ">>",
                "2>&1", "<<", "'", "\"", "\\", "`", "$", "$SCOPE", "#", "*", "?", "~", " ", "\t", "\u001b[2J", "\u007f", "\u0085", "é",
                "✓", "𝄞", "\u202e", "t:remove canary", "t:touch ", "$(t:remove x)", "{ t:remove y }", "-", "--", "--loud");
        Arbitrary<String> victim = Arbitraries.of("v1", "v2", "v 3").map(name -> victims.resolve(name).toString());
        return Arbitraries.oneOf(fragment, fragment, fragment, victim).list().ofMinSize(1).ofMaxSize(10).map(parts -> String.join("", parts));
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

    @Property(tries = 150, seed = SEED)
    void aHostileValueArrivesByteForByteAndRunsNothing(@ForAll("hostile") String value) throws IOException {
        assertEquals(0, run(new ByteArrayOutputStream(), "t:note", "k", value));
        assertEquals(value, shell.commands.notes.get("k"));
        ByteArrayOutputStream readBack = new ByteArrayOutputStream();
        assertEquals(0, run(readBack, "t:read", "k"));
        assertArrayEquals((value + "\n").getBytes(StandardCharsets.UTF_8), readBack.toByteArray());
        assertNothingElseRan(value);
    }

    @Property(tries = 100, seed = SEED)
    void hostileKeysAndExtraArgumentsStayArguments(@ForAll("hostile") String key, @ForAll("hostile") String extra) throws IOException {
        assertEquals(0, run(new ByteArrayOutputStream(), "t:note", key, "v"));
        assertEquals("v", shell.commands.notes.get(key));
        // one argument too many: Gogo refuses the call rather than running anything in the extra one
        assertEquals(1, run(new ByteArrayOutputStream(), "t:note", key, "w", extra));
        assertEquals("v", shell.commands.notes.get(key));
        assertNothingElseRan(key + " / " + extra);
    }

    @Property(tries = 100, seed = SEED)
    void aHostileCommandNameRunsNothing(@ForAll("hostile") String name) throws IOException {
        // ';' keeps the name from ever being a registered command's
        assertEquals(Client.NOT_RUN, run(new ByteArrayOutputStream(), "t:note;" + name, "k", "v"));
        assertEquals(null, shell.commands.notes.get("k"));
        assertNothingElseRan(name);
    }
}
