package dev.bulkhead.shell.internal;

import java.io.PrintStream;
import java.util.List;
import java.util.function.Consumer;

/**
 * A command over several qubes, as Qubes' {@code qvm-start a b c}: each qube in turn, a refusal for
 * one does not keep the others from being tried, and every refusal is one line, {@code qube: reason}.
 * A command given one qube fails as any other command does, with the command's name before the reason.
 */
final class EachQube {
    private EachQube() {
    }

    /**
     * Applies {@code operation} to each name in order, printing each refusal on {@code err}. An
     * interrupt (the user cancelled) ends the command: the qubes not yet tried are named as not done.
     *
     * @throws ExitStatusException with status 1 and nothing more to print, when any qube failed
     */
    static void apply(List<String> names, Consumer<String> operation, PrintStream err) {
        if (names.size() == 1) {
            // One qube: its failure is the command's, one line naming the command, as every other error.
            operation.accept(names.get(0));
            return;
        }
        int failed = 0;
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (Thread.currentThread().isInterrupted()) {
                names.subList(i, names.size()).forEach(n -> err.println(n + ": not done, the command was interrupted"));
                failed++;
                break;
            }
            try {
                operation.accept(name);
            } catch (RuntimeException e) {
                failed++;
                err.println(name + ": " + reason(e));
            }
        }
        if (failed > 0) {
            throw new ExitStatusException(1, "");
        }
    }

    /** What went wrong, on one line: the message, or the kind of failure when it has none. */
    static String reason(RuntimeException e) {
        String message = e.getMessage();
        String text = message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
        return text.replaceAll("\\R", " ");
    }
}
