package dev.bulkhead.qrexec.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.hypervisor.DomainProcess;
import dev.bulkhead.testing.Await;

/**
 * dom0's side of the qrexec agent's protocol against a scripted agent: a process starts with the user, environment
 * and arguments asked for, its streams carry bytes both ways with EOF and exit status, KILL reaches the agent, each
 * stream keeps within its window (a write waits for credit, output waits for its reader without holding up another
 * process), and every hostile frame (unknown id or type, oversized, data or credit beyond the window, frames out of
 * order) ends the stream and fails the qube's processes.
 */
class AgentConnectionTest {
    private static final Duration START_WAIT = Duration.ofSeconds(10);

    private static DomainProcess started(FakeAgent agent, String user, List<String> command, Map<String, String> env)
            throws Exception {
        CompletableFuture<DomainProcess> p = CompletableFuture.supplyAsync(() -> agent.connection.start(user, command, env, START_WAIT));
        FakeAgent.Frame start = agent.next(AgentFrames.START);
        agent.send(AgentFrames.STARTED, start.id(), new byte[0]);
        return p.get(10, TimeUnit.SECONDS);
    }

    private static FakeAgent ready() throws Exception {
        FakeAgent agent = new FakeAgent();
        agent.hello();
        assertTrue(agent.connection.awaitReady(START_WAIT));
        return agent;
    }

    @Test
    void aProcessStartsAsAskedAndItsStreamsAndExitStatusComeThrough() throws Exception {
        try (FakeAgent agent = ready()) {
            Map<String, String> env = new LinkedHashMap<>();
            env.put("QREXEC_REQUESTED_TARGET", "personal");
            CompletableFuture<DomainProcess> starting = CompletableFuture.supplyAsync(() -> agent.connection.start("user",
                    List.of("/usr/lib/qubes/qubes-rpc-multiplexer", "qubes.Filecopy", "work"), env, START_WAIT));
            FakeAgent.Frame start = agent.next(AgentFrames.START);
            assertEquals(0, start.id());
            assertEquals(1, start.payload()[0], "one variable");
            assertEquals(3, start.payload()[1], "three arguments");
            assertEquals(List.of("user", "QREXEC_REQUESTED_TARGET=personal", "/usr/lib/qubes/qubes-rpc-multiplexer",
                    "qubes.Filecopy", "work"), FakeAgent.strings(start));
            agent.send(AgentFrames.STARTED, 0, new byte[0]);
            DomainProcess p = starting.get(10, TimeUnit.SECONDS);

            p.stdin().write("to the service".getBytes(StandardCharsets.UTF_8));
            p.stdin().close();
            assertEquals("to the service", agent.next(AgentFrames.STDIN).text());
            assertEquals(AgentFrames.STDIN_EOF, agent.next().type());

            agent.send(AgentFrames.STDOUT, 0, "from the service");
            agent.send(AgentFrames.EOF, 0, new byte[] {AgentFrames.STREAM_STDOUT});
            agent.send(AgentFrames.STDERR, 0, "a warning");
            agent.send(AgentFrames.EOF, 0, new byte[] {AgentFrames.STREAM_STDERR});
            agent.send(AgentFrames.EXIT, 0, FakeAgent.u32(3));
            assertEquals("from the service", new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals("a warning", new String(p.stderr().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(3, p.onExit().get(10, TimeUnit.SECONDS));
            assertNull(agent.connection.ended(), "the stream goes on after a process ends");
        }
    }

    @Test
    void aProgramTheAgentCannotStartIsRefusedWithItsReasonAndItsIdIsFreeAgain() throws Exception {
        try (FakeAgent agent = ready()) {
            CompletableFuture<DomainProcess> starting = CompletableFuture.supplyAsync(() -> agent.connection.start("nobody",
                    List.of("/bin/true"), Map.of(), START_WAIT));
            agent.next(AgentFrames.START);
            agent.send(AgentFrames.FAILED, 0, "no user 'nobody' in this qube");
            ExecutionException e = assertThrows(ExecutionException.class, () -> starting.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof AdminException && e.getCause().getMessage().contains("no user 'nobody'"),
                    e.getCause().toString());

            CompletableFuture.runAsync(() -> agent.connection.start(null, List.of("/bin/true"), Map.of(), START_WAIT));
            assertEquals(0, agent.next(AgentFrames.START).id(), "the failed process's id is taken again");
        }
    }

    @Test
    void killReachesTheAgentWithTheProcesssId() throws Exception {
        try (FakeAgent agent = ready()) {
            started(agent, null, List.of("/bin/a"), Map.of());
            DomainProcess second = started(agent, null, List.of("/bin/b"), Map.of());
            second.kill();
            FakeAgent.Frame kill = agent.next(AgentFrames.KILL);
            assertEquals(1, kill.id());
        }
    }

    @Test
    void outputWaitsForItsReaderWithinTheWindowAndAnotherProcessGoesOn() throws Exception {
        try (FakeAgent agent = ready()) {
            DomainProcess slow = started(agent, null, List.of("/bin/slow"), Map.of());
            DomainProcess quick = started(agent, null, List.of("/bin/quick"), Map.of());
            byte[] half = new byte[AgentFrames.WINDOW / 2];
            Arrays.fill(half, (byte) 's');
            agent.send(AgentFrames.STDOUT, 0, half);
            agent.send(AgentFrames.STDOUT, 0, half);
            agent.send(AgentFrames.STDOUT, 1, "quick output");
            byte[] got = new byte[12];
            assertEquals(12, quick.stdout().readNBytes(got, 0, 12), "the other process's output is not held up");
            assertEquals("quick output", new String(got, StandardCharsets.UTF_8));

            FakeAgent.Frame grant = agent.next(AgentFrames.GRANT);
            assertEquals(1, grant.id());
            assertEquals(AgentFrames.STREAM_STDOUT, grant.payload()[0]);
            assertEquals(12, ByteBuffer.wrap(grant.payload(), 1, 4).getInt(), "the bytes read are granted back");

            byte[] first = slow.stdout().readNBytes(AgentFrames.WINDOW / 4);
            assertEquals(AgentFrames.WINDOW / 4, first.length);
            FakeAgent.Frame slowGrant = agent.next(AgentFrames.GRANT);
            assertEquals(0, slowGrant.id());
            assertEquals(AgentFrames.WINDOW / 4, ByteBuffer.wrap(slowGrant.payload(), 1, 4).getInt());
            // within the credit granted back, more is fine
            agent.send(AgentFrames.STDOUT, 0, new byte[AgentFrames.WINDOW / 4]);
            agent.send(AgentFrames.EOF, 1, new byte[] {AgentFrames.STREAM_STDOUT});
            assertEquals(-1, quick.stdout().read());
            assertNull(agent.connection.ended());
        }
    }

    @Test
    void aWriteToStdinWaitsForTheAgentsCredit() throws Exception {
        try (FakeAgent agent = ready()) {
            DomainProcess p = started(agent, null, List.of("/bin/cat"), Map.of());
            byte[] data = new byte[AgentFrames.WINDOW + 100];
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                try {
                    p.stdin().write(data);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            int received = 0;
            while (received < AgentFrames.WINDOW) {
                received += agent.next(AgentFrames.STDIN).payload().length;
            }
            assertEquals(AgentFrames.WINDOW, received, "a window's worth, not a byte more");
            assertNull(agent.poll(300), "nothing more before the agent grants credit");
            assertFalse(writing.isDone());

            agent.send(AgentFrames.CREDIT, 0, FakeAgent.u32(100));
            assertEquals(100, agent.next(AgentFrames.STDIN).payload().length);
            writing.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSecondHelloFailsTheRunningProcessesAndTheStreamGoesOn() throws Exception {
        try (FakeAgent agent = ready()) {
            DomainProcess p = started(agent, null, List.of("/bin/a"), Map.of());
            agent.hello();
            ExecutionException e = assertThrows(ExecutionException.class, () -> p.onExit().get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("started again"), e.getCause().getMessage());
            assertThrows(IOException.class, () -> p.stdout().read());
            DomainProcess next = started(agent, null, List.of("/bin/b"), Map.of());
            assertFalse(next.onExit().isDone());
        }
    }

    /** Each hostile frame, sent while one process runs (id 0): the stream ends, the process fails. */
    @Test
    void everyHostileFrameEndsTheStreamAndFailsTheProcesses() throws Exception {
        List<String> reasons = new ArrayList<>();
        byte[] window = new byte[AgentFrames.WINDOW / 2];
        for (Hostile hostile : List.<Hostile>of(
                a -> a.send(AgentFrames.STDOUT, 7, "an id dom0 never used"),
                a -> a.send(AgentFrames.STDOUT, 300, "an id beyond the 64"),
                a -> a.sendRaw(AgentFrames.STDOUT, 0, AgentFrames.MAX_PAYLOAD + 1, new byte[0]),
                a -> a.send(0x7E, 0, "an unknown type"),
                a -> a.send(AgentFrames.CREDIT, 0, FakeAgent.u32(1)),
                a -> a.send(AgentFrames.CREDIT, 0, FakeAgent.u32(0xFFFFFFFFL)),
                a -> {
                    a.send(AgentFrames.STDOUT, 0, window);
                    a.send(AgentFrames.STDOUT, 0, window);
                    a.send(AgentFrames.STDOUT, 0, "one byte beyond the window".substring(0, 1));
                },
                a -> a.send(AgentFrames.EXIT, 0, FakeAgent.u32(0)),
                a -> a.send(AgentFrames.STARTED, 0, new byte[0]),
                a -> a.send(AgentFrames.EOF, 0, new byte[] {3}),
                a -> {
                    a.send(AgentFrames.EOF, 0, new byte[] {AgentFrames.STREAM_STDOUT});
                    a.send(AgentFrames.STDOUT, 0, "after EOF");
                },
                a -> a.send(AgentFrames.STDOUT, 0, new byte[0]),
                a -> a.send(AgentFrames.HELLO, 0, new byte[] {9, 64, 1}),
                a -> a.send(AgentFrames.HELLO, 0, new byte[] {1, 64, 0, 'B', 'a', 'd', ' ', 'u'}),
                a -> a.send(AgentFrames.HELLO, 0, new byte[] {1, 64, 1, 'r', 'o', 'o', 't'}),
                a -> a.send(AgentFrames.HELLO, 0, new byte[] {1, 64}))) {
            try (FakeAgent agent = ready()) {
                DomainProcess p = started(agent, null, List.of("/bin/a"), Map.of());
                hostile.send(agent);
                String why = agent.ended.get(10, TimeUnit.SECONDS);
                assertTrue(why.startsWith("the agent broke the protocol"), why);
                reasons.add(why);
                assertThrows(ExecutionException.class, () -> p.onExit().get(10, TimeUnit.SECONDS));
                assertThrows(AdminException.class, () -> agent.connection.start(null, List.of("/bin/b"), Map.of(), START_WAIT),
                        "a broken stream starts nothing more");
            }
        }
        assertEquals(16, reasons.size(), String.join("\n", reasons));
    }

    @Test
    void anAgentThatIsNotRootRunsOnlyItsOwnUsersPrograms() throws Exception {
        try (FakeAgent agent = new FakeAgent()) {
            agent.send(AgentFrames.HELLO, 0, new byte[] {AgentFrames.VERSION, AgentFrames.MAX_PROCESSES, 0, 'u', 's', 'e', 'r'});
            assertTrue(agent.connection.awaitReady(START_WAIT));
            assertTrue(agent.connection.runs(null), "the qube's default user, which lite starts it as");
            assertTrue(agent.connection.runs("user"));
            assertFalse(agent.connection.runs("root"));
        }
        try (FakeAgent root = ready()) {
            assertTrue(root.connection.runs("root") && root.connection.runs("user") && root.connection.runs(null));
        }
    }

    @Test
    void aFrameBeforeHelloEndsTheStream() throws Exception {
        try (FakeAgent agent = new FakeAgent()) {
            agent.send(AgentFrames.STARTED, 0, new byte[0]);
            assertTrue(agent.ended.get(10, TimeUnit.SECONDS).contains("before HELLO"));
            assertFalse(agent.connection.awaitReady(Duration.ofMillis(10)));
        }
    }

    @Test
    void startRefusesWhatTheAgentCouldNotTakeBeforeSendingAnything() throws Exception {
        try (FakeAgent agent = ready()) {
            for (List<String> bad : List.of(List.<String>of(), List.of("relative/path"), List.of("/bin/a", "nul\0inside"))) {
                assertThrows(dev.bulkhead.api.InvalidValueException.class,
                        () -> agent.connection.start(null, bad, Map.of(), START_WAIT), bad.toString());
            }
            assertThrows(dev.bulkhead.api.InvalidValueException.class,
                    () -> agent.connection.start("Bad User", List.of("/bin/a"), Map.of(), START_WAIT));
            assertThrows(dev.bulkhead.api.InvalidValueException.class,
                    () -> agent.connection.start(null, List.of("/bin/a"), Map.of("A", "x".repeat(AgentFrames.MAX_PAYLOAD)), START_WAIT));
            assertNull(agent.poll(100), "nothing was sent");
        }
    }

    @Test
    void theEndOfTheStreamFailsEveryProcess() throws Exception {
        FakeAgent agent = ready();
        DomainProcess p = started(agent, null, List.of("/bin/a"), Map.of());
        InputStream out = p.stdout();
        agent.close();
        Await.until("the process to fail", () -> p.onExit().isCompletedExceptionally());
        assertThrows(IOException.class, out::read);
    }

    @FunctionalInterface
    private interface Hostile {
        void send(FakeAgent agent) throws IOException;
    }
}
