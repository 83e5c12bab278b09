package dev.bulkhead.policy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyDecision;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.Prompt;
import dev.bulkhead.api.policy.PromptAnswer;
import dev.bulkhead.api.policy.PromptAnswer.Outcome;
import dev.bulkhead.api.policy.PromptListener;
import dev.bulkhead.testing.Await;

/**
 * Prompts: one answer wins whatever races it (an answer, a second answer, the deadline, a cancel), an answer must name
 * one of the prompt's targets, listeners hear opened before closed, ids are unguessable, and a qube cannot have more
 * than its share of prompts waiting.
 */
class PromptServiceTest {
    private static final Duration LONG = Duration.ofMinutes(5);
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private final PromptService prompts = service(3);

    @AfterEach
    void stop() {
        prompts.deactivate();
    }

    /** A step done to a waiting prompt, and what it must do. */
    private record Step(String name, Consumer<Ctx> run) {
        @Override
        public String toString() {
            return name;
        }
    }

    private record Ctx(PromptService prompts, String id) {
    }

    private static Step allow(String target) {
        return new Step("allow " + target, c -> c.prompts().answer(c.id(), true, target, "console"));
    }

    private static Step deny() {
        return new Step("deny", c -> c.prompts().answer(c.id(), false, null, "gui"));
    }

    private static Step cancel() {
        return new Step("cancel", c -> c.prompts().cancel(c.id()));
    }

    /**
     * The race table: a first step ends the prompt with its answer; the second is refused (an answer after the end is
     * an InvalidStateException, a cancel is ignored) and changes nothing.
     */
    static Stream<Arguments> races() {
        return Stream.of(
                Arguments.of(allow("personal"), allow("work"), Outcome.ALLOWED, "personal", InvalidStateException.class),
                Arguments.of(allow("personal"), deny(), Outcome.ALLOWED, "personal", InvalidStateException.class),
                Arguments.of(deny(), allow("personal"), Outcome.DENIED, null, InvalidStateException.class),
                Arguments.of(deny(), deny(), Outcome.DENIED, null, InvalidStateException.class),
                Arguments.of(cancel(), allow("personal"), Outcome.CANCELLED, null, InvalidStateException.class),
                Arguments.of(cancel(), cancel(), Outcome.CANCELLED, null, null),
                Arguments.of(allow("personal"), cancel(), Outcome.ALLOWED, "personal", null),
                Arguments.of(deny(), cancel(), Outcome.DENIED, null, null));
    }

    @ParameterizedTest(name = "{0} then {1}")
    @MethodSource("races")
    void theFirstEndWinsAndTheSecondChangesNothing(Step first, Step second, Outcome outcome, String target,
            Class<? extends Exception> secondFails) throws Exception {
        CompletableFuture<PromptAnswer> answer = ask("work", LONG).toCompletableFuture();
        Ctx c = new Ctx(prompts, prompts.pending().get(0).id());
        first.run().accept(c);
        if (secondFails == null) {
            second.run().accept(c);
        } else {
            assertThrows(secondFails, () -> second.run().accept(c));
        }
        PromptAnswer a = answer.get(5, TimeUnit.SECONDS);
        assertEquals(outcome, a.outcome());
        assertEquals(target, a.target());
        assertEquals(List.of(), prompts.pending());
        Await.until("closed told once", Await.DEFAULT_BOUND, () -> events.stream().filter(e -> e.startsWith("closed")).count() == 1, events::toString);
        assertEquals(List.of("opened " + c.id(), "closed " + c.id() + " " + outcome), events);
    }

    @Test
    void anAnswerAfterTheDeadlineIsRefusedAndTheCallWasDeniedAsTimedOut() throws Exception {
        CompletableFuture<PromptAnswer> answer = ask("work", Duration.ofMillis(50)).toCompletableFuture();
        String id = prompts.pending().get(0).id();
        assertEquals(PromptAnswer.timedOut(), answer.get(5, TimeUnit.SECONDS));
        assertThrows(InvalidStateException.class, () -> prompts.answer(id, true, "personal", "console"));
        assertEquals(List.of(), prompts.pending());
        Await.until("closed told", Await.DEFAULT_BOUND, () -> events.size() == 2, events::toString);
        assertEquals("closed " + id + " TIMED_OUT", events.get(1));
    }

    @Test
    void anAnswerNamingATargetThePromptDoesNotOfferIsRefusedAndThePromptStillWaits() {
        CompletableFuture<PromptAnswer> answer = ask("work", LONG).toCompletableFuture();
        String id = prompts.pending().get(0).id();
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> prompts.answer(id, true, "vault", "console"));
        assertEquals("invalid target 'vault': one of the prompt's targets: @dispvm:dvm, personal", e.getMessage());
        assertThrows(InvalidValueException.class, () -> prompts.answer(id, true, null, "console"));
        assertTrue(!answer.isDone());
        prompts.answer(id, true, "@dispvm:dvm", "shell");
        assertEquals(PromptAnswer.allowed("@dispvm:dvm", "shell"), answer.join());
    }

    @Test
    void anUnknownIdIsRefusedAndACancelOfOneIsIgnored() {
        assertThrows(InvalidStateException.class, () -> prompts.answer("0123", false, null, "console"));
        assertThrows(InvalidStateException.class, () -> prompts.answer(null, false, null, "console"));
        prompts.cancel("0123");
    }

    @Test
    void manyThreadsAnsweringAtOnceMakeOneWinner() throws Exception {
        for (int round = 0; round < 50; round++) {
            CompletableFuture<PromptAnswer> answer = ask("work", LONG).toCompletableFuture();
            String id = prompts.pending().get(0).id();
            CountDownLatch go = new CountDownLatch(1);
            List<String> winners = Collections.synchronizedList(new ArrayList<>());
            List<Thread> threads = new ArrayList<>();
            for (String by : List.of("console", "gui", "shell", "cancel")) {
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                        if (by.equals("cancel")) {
                            prompts.cancel(id);
                        } else {
                            prompts.answer(id, true, "personal", by);
                            winners.add(by);
                        }
                    } catch (InvalidStateException | InterruptedException e) {
                        // lost the race
                    }
                });
                t.start();
                threads.add(t);
            }
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            PromptAnswer a = answer.get(5, TimeUnit.SECONDS);
            if (a.outcome() == Outcome.CANCELLED) {
                assertEquals(List.of(), winners);
            } else {
                assertEquals(List.of(a.by()), winners);
            }
        }
    }

    @Test
    void aPromptCarriesTheCallSortedTargetsTheDefaultAndADeadlineAndUnguessableIds() {
        ask("work", Duration.ofSeconds(60));
        ask("work", Duration.ofSeconds(60));
        Prompt p = prompts.pending().get(0);
        assertEquals("work", p.source());
        assertEquals("qubes.Filecopy", p.service());
        assertEquals("+", p.argument());
        assertEquals("@default", p.targetAsked());
        assertEquals(List.of("@dispvm:dvm", "personal"), p.targets());
        assertEquals("personal", p.defaultTarget());
        assertEquals(Duration.ofSeconds(60), Duration.between(p.opened(), p.deadline()));
        assertTrue(p.id().matches("[0-9a-f]{32}"), p.id());
        assertNotEquals(p.id(), prompts.pending().get(1).id());
    }

    @Test
    void aQubeOverItsShareOfWaitingPromptsIsDeniedAtOnceWhileOthersStillAsk() throws Exception {
        for (int i = 0; i < 3; i++) {
            ask("work", LONG);
        }
        PromptAnswer flood = ask("work", LONG).toCompletableFuture().get(1, TimeUnit.SECONDS);
        assertEquals(PromptAnswer.denied(PromptService.BY_LIMIT), flood);
        assertEquals(3, prompts.pending().size());
        CompletableFuture<PromptAnswer> other = ask("personal", LONG).toCompletableFuture();
        assertEquals(4, prompts.pending().size());
        assertTrue(!other.isDone());
        prompts.answer(prompts.pending().get(0).id(), false, null, "console");
        ask("work", LONG);
        assertEquals(4, prompts.pending().size(), "an answered prompt frees its place");
    }

    @Test
    void aDecisionThatIsNoAskOrATimeoutThatIsNotPositiveIsRefused() {
        PolicyDecision allow = new PolicyDecision(PolicyAction.ALLOW, "personal", List.of(), null, null, true, false, null, "r");
        assertThrows(InvalidValueException.class, () -> prompts.ask(request("work"), allow, LONG));
        assertThrows(InvalidValueException.class, () -> prompts.ask(request("work"), decision(), Duration.ZERO));
    }

    @Test
    void aCallerThatCancelsItsStageWithdrawsThePromptWithoutKnowingItsId() throws Exception {
        CompletableFuture<PromptAnswer> answer = ask("work", LONG).toCompletableFuture();
        String id = prompts.pending().get(0).id();
        assertTrue(answer.cancel(false));
        assertEquals(List.of(), prompts.pending());
        assertThrows(InvalidStateException.class, () -> prompts.answer(id, true, "personal", "console"));
        Await.until("closed told", Await.DEFAULT_BOUND, () -> events.size() == 2, events::toString);
        assertEquals("closed " + id + " CANCELLED", events.get(1));
    }

    @Test
    void stoppingCancelsWhatWaits() throws Exception {
        CompletableFuture<PromptAnswer> answer = ask("work", LONG).toCompletableFuture();
        prompts.deactivate();
        assertEquals(PromptAnswer.cancelled(), answer.get(5, TimeUnit.SECONDS));
    }

    private java.util.concurrent.CompletionStage<PromptAnswer> ask(String source, Duration timeout) {
        return prompts.ask(request(source), decision(), timeout);
    }

    private static PolicyRequest request(String source) {
        return new PolicyRequest("qubes.Filecopy", "+", source, "");
    }

    private static PolicyDecision decision() {
        return new PolicyDecision(PolicyAction.ASK, null, List.of("personal", "@dispvm:dvm"), "personal", null, true, false, null, "ask");
    }

    private PromptService service(int max) {
        PromptConfig config = (PromptConfig) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { PromptConfig.class },
                (p, m, a) -> m.getName().equals("max_pending_per_source") ? max : null);
        PromptService s = new PromptService(config);
        s.addListener(new PromptListener() {
            @Override
            public void opened(Prompt prompt) {
                events.add("opened " + prompt.id());
            }

            @Override
            public void closed(Prompt prompt, PromptAnswer answer) {
                events.add("closed " + prompt.id() + " " + answer.outcome());
            }
        });
        return s;
    }
}
