package dev.bulkhead.shell.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.bulkhead.fuzz.Fuzz;

class SpreadTriesTest {
    @Test
    void theFirstDrawOfEveryTryIsSpreadOverItsRange() {
        int[] firsts = new int[4];
        Fuzz.forAll(20261204, 2000, SpreadTries.spread(random -> random.nextInt(4)), first -> firsts[first]++);
        assertTrue(Arrays.stream(firsts).allMatch(n -> n >= 400), Arrays.toString(firsts));
    }

    @Test
    void theSameSeedAndTryGiveTheSameInput() {
        List<Integer> once = new ArrayList<>();
        List<Integer> again = new ArrayList<>();
        Fuzz.forAll(7, 20, SpreadTries.spread(Random::nextInt), once::add);
        Fuzz.forAll(7, 20, SpreadTries.spread(Random::nextInt), again::add);
        assertEquals(once, again);
    }
}
