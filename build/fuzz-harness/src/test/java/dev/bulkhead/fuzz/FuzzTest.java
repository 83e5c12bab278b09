package dev.bulkhead.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class FuzzTest {
    @Test
    void theSameSeedGivesTheSameInputs() {
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        Fuzz.forAll(7, 50, r -> Fuzz.hostileString(r, 40), first::add);
        Fuzz.forAll(7, 50, r -> Fuzz.hostileString(r, 40), second::add);
        assertEquals(50, first.size());
        assertEquals(first, second);
        List<String> other = new ArrayList<>();
        Fuzz.forAll(8, 50, r -> Fuzz.hostileString(r, 40), other::add);
        assertNotEquals(first, other);
    }

    @Test
    void aFailureNamesTheSeedTheTryAndTheInput() {
        AssertionError e = assertThrows(AssertionError.class, () -> Fuzz.forAll(3, 100, r -> r.nextInt(10), n -> {
            if (n == 9) {
                throw new IllegalStateException("nine");
            }
        }));
        assertTrue(e.getMessage().contains("of seed 3"), e.getMessage());
        assertTrue(e.getMessage().contains("\"9\""), e.getMessage());
        assertTrue(e.getCause() instanceof IllegalStateException);
    }

    @Test
    void stringsStayWithinTheirLength() {
        Fuzz.forAll(11, 500, r -> Fuzz.hostileString(r, 17), s -> assertTrue(s.length() <= 17, s));
        Fuzz.forAll(12, 500, r -> Fuzz.word(r, 5, "-"), s -> assertTrue(s.length() >= 1 && s.length() <= 5 && s.matches("[a-zA-Z0-9-]+"), s));
    }

    @Test
    void mutationsChangeValidInputsAndNeverTheOriginal() {
        byte[] valid = "action=accept proto=tcp dstports=443".getBytes();
        byte[] copy = valid.clone();
        int changed = 0;
        for (int i = 0; i < 200; i++) {
            if (!java.util.Arrays.equals(valid, Fuzz.mutate(Fuzz.random(5, i), valid))) {
                changed++;
            }
        }
        assertArrayEquals(copy, valid);
        assertTrue(changed > 150, "only " + changed + " of 200 mutations changed the input");
    }

    @Test
    void aCorpusIsReplayedFileByFileAndAnEmptyOneFails() {
        List<String> seen = new ArrayList<>();
        Fuzz.corpus(FuzzTest.class, "corpus/sample", b -> seen.add(new String(b, java.nio.charset.StandardCharsets.ISO_8859_1)))
                .forEach(t -> {
                    try {
                        t.getExecutable().execute();
                    } catch (Throwable e) {
                        throw new AssertionError(e);
                    }
                });
        assertEquals(List.of("\u0000\u00ff", "a;b"), seen);
        assertThrows(AssertionError.class, () -> Fuzz.corpusFiles(FuzzTest.class, "corpus/empty-but-missing"));
        assertThrows(AssertionError.class, () -> Fuzz.corpusFiles(FuzzTest.class, "corpus/empty"));
    }

    @Test
    void theFirstDrawOfConsecutiveTriesIsSpreadEvenly() {
        int[] counts = new int[8];
        for (int i = 0; i < 2000; i++) {
            counts[Fuzz.random(20261204, i).nextInt(8)]++;
        }
        for (int c : counts) {
            assertTrue(c > 180 && c < 320, java.util.Arrays.toString(counts));
        }
    }

    @Test
    void aTryHasItsOwnRandomSource() {
        Random a = Fuzz.random(1, 2);
        Random b = Fuzz.random(1, 2);
        assertEquals(a.nextLong(), b.nextLong());
        assertNotEquals(Fuzz.random(1, 2).nextLong(), Fuzz.random(1, 3).nextLong());
    }
}
