package dev.bulkhead.role.firewall.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** When names are looked up again, when the filter is told, and what is kept. */
class HostNameCacheTest {
    static final Duration REFRESH = Duration.ofMinutes(5);
    static final Duration RETRY = Duration.ofSeconds(10);
    final Map<String, String> dns = new HashMap<>(Map.of("a.test", "203.0.113.10"));
    final List<List<String>> asked = new ArrayList<>();
    final AtomicInteger changes = new AtomicInteger();
    /** Lookups run on the caller's thread, so each call returns with its answers in. */
    final HostNameCache cache = new HostNameCache(this::lookUp, Runnable::run, changes::incrementAndGet);

    private Map<String, HostNameCache.Answer> lookUp(Collection<String> names) {
        asked.add(List.copyOf(names));
        Map<String, HostNameCache.Answer> out = new HashMap<>();
        for (String name : names) {
            String address = dns.get(name);
            out.put(name, new HostNameCache.Answer(address == null ? List.of() : List.of(address), null, Instant.now()));
        }
        return out;
    }

    @Test
    void newAddressesTellTheFilterAndTheSameOnesDoNot() {
        CompletableFuture<Void> answered = cache.lookUp(List.of("a.test", "nowhere.test"));
        assertTrue(answered.isDone());
        assertEquals(List.of("203.0.113.10"), cache.known(List.of("a.test")).get("a.test").addresses());
        assertFalse(cache.known(List.of("nowhere.test")).get("nowhere.test").resolved());
        assertEquals(1, changes.get());

        cache.lookUp(List.of("a.test", "nowhere.test"));
        assertEquals(1, changes.get(), "the same answers change nothing");

        dns.put("a.test", "203.0.113.99");
        cache.lookUp(List.of("a.test"));
        assertEquals(2, changes.get());
        assertEquals(List.of("203.0.113.99"), cache.known(List.of("a.test")).get("a.test").addresses());
    }

    @Test
    void aNameThatDoesNotResolveIsRetriedSoonerThanOneThatDoes() {
        cache.lookUp(List.of("a.test", "nowhere.test"));
        Instant now = Instant.now();
        cache.refresh(Set.of("a.test", "nowhere.test"), now, REFRESH, RETRY);
        assertEquals(1, asked.size(), "nothing is due at once");
        cache.refresh(Set.of("a.test", "nowhere.test"), now.plus(RETRY).plusSeconds(1), REFRESH, RETRY);
        assertEquals(List.of("nowhere.test"), asked.get(1));
        cache.refresh(Set.of("a.test", "nowhere.test"), now.plus(REFRESH).plusSeconds(1), REFRESH, RETRY);
        assertEquals(Set.of("a.test", "nowhere.test"), Set.copyOf(asked.get(2)));
    }

    @Test
    void namesNoRuleUsesAreForgotten() {
        cache.lookUp(List.of("a.test", "gone.test"));
        cache.refresh(Set.of("a.test"), Instant.now(), REFRESH, RETRY);
        assertEquals(Set.of("a.test"), cache.known(List.of("a.test", "gone.test")).keySet());
    }

    @Test
    void aLookupThatCannotRunAnswersEachNameWithWhy() {
        HostNameCache broken = new HostNameCache(names -> {
            throw new IllegalStateException("the qube is gone");
        }, Runnable::run, changes::incrementAndGet);
        broken.lookUp(List.of("a.test"));
        HostNameCache.Answer answer = broken.known(List.of("a.test")).get("a.test");
        assertFalse(answer.resolved());
        assertEquals("the qube is gone", answer.failure());
        assertEquals(0, changes.get());
    }
}
