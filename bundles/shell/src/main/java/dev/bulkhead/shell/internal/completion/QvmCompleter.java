package dev.bulkhead.shell.internal.completion;

import java.util.List;
import java.util.Set;

import org.apache.felix.service.command.CommandSession;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

import dev.bulkhead.shell.internal.frontend.QvmFunction;

/**
 * Tab in the interactive shell: command names (each {@code scope:name}, and the plain name where the shell's
 * {@code SCOPE} resolves it to that command), and the arguments of a {@code qvm:*} command, written in full or as a
 * plain name, from {@link QvmCompletions}.
 */
public final class QvmCompleter implements Completer {
    private final CommandSession session;
    private final QvmCompletions completions;

    public QvmCompleter(CommandSession session, QvmCompletions completions) {
        this.session = session;
        this.completions = completions;
    }

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
        if (line.wordIndex() == 0) {
            commands(candidates);
            return;
        }
        String word = line.words().get(0);
        QvmFunction qvm = QvmFunction.behind(resolve(word)).orElse(null);
        if (qvm != null) {
            String name = qvm.command().substring(qvm.command().indexOf(':') + 1);
            String current = line.word().substring(0, Math.min(line.wordCursor(), line.word().length()));
            for (Completion c : completions.complete(name, qvm.help().usage(), line.words().subList(1, line.wordIndex()), current)) {
                candidates.add(new Candidate(c.value(), c.value(), null, c.description().isEmpty() ? null : c.description(), null, null,
                        c.whole()));
            }
        }
    }

    /** The command a word names, as the shell runs it. */
    private Object resolve(String word) {
        return session.get(word.indexOf(':') < 0 ? "*:" + word : word);
    }

    /** Whether two resolutions are the same command: Gogo hands out the one it registered. */
    private static boolean sameCommand(Object a, Object b) {
        return a != null && a == b;
    }

    @SuppressWarnings("unchecked")
    private void commands(List<Candidate> candidates) {
        for (String command : (Set<String>) session.get(".commands")) {
            String name = command.substring(command.indexOf(':') + 1);
            if (name.startsWith("_") || name.equals("default")) {
                continue;
            }
            String group = command.substring(0, command.indexOf(':'));
            candidates.add(new Candidate(command, command, group, null, null, null, true));
            if (sameCommand(resolve(name), session.get(command))) {
                candidates.add(new Candidate(name, name, group, null, null, null, true));
            }
        }
    }
}
