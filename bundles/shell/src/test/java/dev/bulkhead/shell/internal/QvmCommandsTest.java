package dev.bulkhead.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.bulkhead.api.InvalidStateException;

/** Commands over several qubes, as Qubes' tools: each refusal named on its own line, the rest still done. */
class QvmCommandsTest {
    private final RecordingAdmin admin = new RecordingAdmin("a", "b", "c");
    private final QvmShell shell = new QvmShell(admin.proxy());

    @AfterEach
    void close() {
        shell.close();
    }

    @Test
    void killSaysWhichQubeFailedAndWhyFinishesTheRestAndExits1() {
        admin.refusals.put("b", new InvalidStateException("'b' is not running"));

        QvmShell.Result r = shell.run("qvm:kill a b c");

        assertEquals(List.of("kill a", "kill b", "kill c"), admin.calls);
        assertEquals("b: 'b' is not running\n", r.err());
        assertEquals(1, r.status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"start", "shutdown", "kill", "pause", "unpause", "restart", "remove", "shutdown --force --wait"})
    void everyCommandOverSeveralQubesNamesEachFailureOnItsOwnLine(String command) {
        admin.refusals.put("c", new InvalidStateException("refused for a reason\nof two lines"));

        QvmShell.Result r = shell.run("qvm:" + command + " nope a c b");

        String op = command.split(" ")[0];
        assertEquals(List.of(op + " nope", op + " a", op + " c", op + " b"), admin.calls);
        assertEquals("nope: no such qube: 'nope'\nc: refused for a reason of two lines\n", r.err());
        assertEquals(1, r.status());
    }

    @Test
    void whenEveryQubeSucceedsNothingIsPrintedAndTheStatusIs0() {
        QvmShell.Result r = shell.run("qvm:start a b c");

        assertEquals(List.of("start a", "start b", "start c"), admin.calls);
        assertEquals(new QvmShell.Result("", "", 0), r);
    }

    @Test
    void installFromCopiesTheImageInAsTheNewQubesRootAndARefusedImageLeavesNoQube() {
        QvmShell.Result ok = shell.run("qvm:create --class StandaloneVM --label red --property virt_mode=hvm --install-from /i/os.iso other");
        assertEquals(0, ok.status(), ok.err());
        assertEquals(List.of("create other StandaloneVM {virt_mode=hvm}", "importVolume other:root /i/os.iso"), admin.calls);

        admin.calls.clear();
        admin.refusals.put("importVolume", new dev.bulkhead.api.InvalidValueException("boot image", "/i/notes.txt", "a bootable disk image or ISO"));
        QvmShell.Result refused = shell.run("qvm:create --class StandaloneVM --label red --property virt_mode=hvm --install-from /i/notes.txt two");
        assertEquals(1, refused.status());
        assertTrue(refused.err().contains("a bootable disk image or ISO"), refused.err());
        assertEquals(List.of("create two StandaloneVM {virt_mode=hvm}", "importVolume two:root /i/notes.txt", "remove two"), admin.calls);

        admin.calls.clear();
        QvmShell.Result notHvm = shell.run("qvm:create --class StandaloneVM --label red --install-from /i/os.iso three");
        assertEquals(1, notHvm.status());
        assertTrue(notHvm.err().contains("--property virt_mode=hvm"), notHvm.err());
        assertEquals(List.of(), admin.calls, "nothing made");
    }

    @Test
    void aWrongUsageRunsNothing() {
        QvmShell.Result r = shell.run("qvm:kill a --force b");

        assertEquals(List.of(), admin.calls);
        assertEquals(1, r.status());
        assertTrue(r.err().contains("usage: qvm:kill NAME..."), r.err());
    }

    @Test
    void anInterruptEndsTheCommandAndNamesTheQubesNotDone() {
        List<String> done = new ArrayList<>();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            ExitStatusException e = assertThrows(ExitStatusException.class, () -> EachQube.apply(List.of("a", "b", "c", "d"), name -> {
                done.add(name);
                if (name.equals("b")) {
                    Thread.currentThread().interrupt();
                    throw new InvalidStateException("interrupted while stopping 'b'");
                }
            }, new PrintStream(bytes, true, StandardCharsets.UTF_8)));
            assertEquals(1, e.status());
            assertEquals("", e.getMessage());
        } finally {
            assertTrue(Thread.interrupted(), "the interrupt is left for the caller to see");
        }
        assertEquals(List.of("a", "b"), done);
        assertEquals("""
                b: interrupted while stopping 'b'
                c: not done, the command was interrupted
                d: not done, the command was interrupted
                """, bytes.toString(StandardCharsets.UTF_8));
        assertFalse(Thread.currentThread().isInterrupted());
    }
}
