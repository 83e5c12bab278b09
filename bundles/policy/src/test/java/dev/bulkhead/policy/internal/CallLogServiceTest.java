package dev.bulkhead.policy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.policy.CallRecord;
import dev.bulkhead.api.policy.PolicyAction;

/** The call log: a ring that keeps the latest calls oldest first, resizes keeping the newest, tells listeners, and one log line a call. */
class CallLogServiceTest {
    @Test
    void theRingKeepsTheLatestCallsOldestFirst() {
        CallLogService log = new CallLogService(config(3));
        assertEquals(List.of(), log.recent(10));
        IntStream.range(0, 2).forEach(i -> log.record(call(i)));
        assertEquals(List.of("q0", "q1"), sources(log.recent(10)));
        IntStream.range(2, 7).forEach(i -> log.record(call(i)));
        assertEquals(List.of("q4", "q5", "q6"), sources(log.recent(10)));
        assertEquals(List.of("q5", "q6"), sources(log.recent(2)));
        assertEquals(List.of(), log.recent(0));
        assertEquals(List.of(), log.recent(-1));
    }

    @Test
    void aNewSizeKeepsTheNewestCallsThatFit() {
        CallLogService log = new CallLogService(config(5));
        IntStream.range(0, 7).forEach(i -> log.record(call(i)));
        log.modified(config(2));
        assertEquals(List.of("q5", "q6"), sources(log.recent(10)));
        log.record(call(7));
        assertEquals(List.of("q6", "q7"), sources(log.recent(10)));
        log.modified(config(4));
        log.record(call(8));
        assertEquals(List.of("q6", "q7", "q8"), sources(log.recent(10)));
    }

    @Test
    void listenersAreToldEachCallAndOneThatThrowsDoesNotStopTheOthers() {
        CallLogService log = new CallLogService(config(3));
        List<CallRecord> told = new ArrayList<>();
        log.addListener(c -> {
            throw new IllegalStateException("broken listener");
        });
        log.addListener(told::add);
        log.record(call(1));
        assertEquals(List.of(call(1)), told);
    }

    @Test
    void theLogLineNamesTheCallAndShowsHostileTextPrintable() {
        CallRecord c = new CallRecord(Instant.EPOCH, "work", "qubes.Filecopy", "+", "@default", "personal", PolicyAction.ASK, true,
                "50-a.policy:2, allowed by console\u001b[31m");
        assertEquals("qrexec call work -> @default (personal) qubes.Filecopy: ask, allowed; 50-a.policy:2, allowed by console?[31m",
                CallLogService.line(c));
        CallRecord d = new CallRecord(Instant.EPOCH, "work", "x.Y", "+arg", "vault", null, PolicyAction.DENY, false, "no rule");
        assertEquals("qrexec call work -> vault x.Y+arg: deny, refused; no rule", CallLogService.line(d));
    }

    private static List<String> sources(List<CallRecord> calls) {
        return calls.stream().map(CallRecord::source).toList();
    }

    private static CallRecord call(int i) {
        return new CallRecord(Instant.ofEpochSecond(i), "q" + i, "qubes.Filecopy", "+", "personal", "personal", PolicyAction.ALLOW, true, "r");
    }

    private static CallLogConfig config(int size) {
        return (CallLogConfig) Proxy.newProxyInstance(CallLogServiceTest.class.getClassLoader(), new Class<?>[] { CallLogConfig.class },
                (p, m, a) -> m.getName().equals("size") ? size : null);
    }
}
