package dev.bulkhead.shell.internal.console;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.felix.gogo.jline.Expander;
import org.apache.felix.gogo.jline.Highlighter;
import org.apache.felix.gogo.jline.Parser;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.apache.felix.service.command.Job;
import org.apache.felix.service.threadio.ThreadIO;
import org.jline.keymap.KeyMap;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.Reference;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.jline.terminal.Terminal.Signal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.AttributedStyle;
import org.jline.utils.NonBlockingReader;

import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.shell.internal.completion.QvmCompleter;
import dev.bulkhead.shell.internal.completion.QvmCompletions;
import dev.bulkhead.shell.internal.frontend.ShellCommands;

/**
 * The read-run-print loop of {@link InteractiveConsole}, on its own thread; the only part that touches JLine.
 * <p>
 * The terminal sends no signals while the shell runs (ISIG off): Ctrl-C would otherwise interrupt every process of
 * the platform's process group, its helpers on the host among them. Ctrl-C is read as a key instead: it cancels the
 * line being edited, and while a command runs a watcher takes it from the input and interrupts the command.
 */
final class ConsoleLoop implements Runnable {
    private static final Logger LOG = System.getLogger(ConsoleLoop.class.getName());
    static final String PROMPT = "g! ";
    /** Lines kept in memory and in the history file. */
    static final int HISTORY_LINES = 1000;
    private static final int CTRL_C = 3;
    private static final String CANCEL_LINE = "bulkhead-cancel-line";

    private final CommandProcessor processor;
    private final ThreadIO threadIO;
    private final QubeAdmin admin;
    private final Path history;
    private final String banner;
    private final Runnable stopPlatform;
    private volatile boolean closing;
    private volatile Terminal terminal;

    ConsoleLoop(CommandProcessor processor, ThreadIO threadIO, QubeAdmin admin, Path history, String banner, Runnable stopPlatform) {
        this.processor = processor;
        this.threadIO = threadIO;
        this.admin = admin;
        this.history = history;
        this.banner = banner;
        this.stopPlatform = stopPlatform;
    }

    @Override
    public void run() {
        Thread self = Thread.currentThread();
        ClassLoader previous = self.getContextClassLoader();
        // JLine finds its terminal providers through the context class loader: its own bundle's
        self.setContextClassLoader(Terminal.class.getClassLoader());
        try (Terminal t = open()) {
            terminal = t;
            if (!closing) {
                loop(t);
            }
        } catch (IOException | RuntimeException | java.io.IOError e) {
            if (!closing) {
                LOG.log(Level.ERROR, "the interactive shell ended: " + e, e);
            }
        } finally {
            self.setContextClassLoader(previous);
        }
    }

    /** The system terminal through JNI, else stty; a dumb one (no line editing) when there is no terminal at all. */
    private static Terminal open() throws IOException {
        for (String provider : List.of("jni", "exec")) {
            try {
                return builder().provider(provider).dumb(false).build();
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.DEBUG, "no " + provider + " terminal: " + e);
            }
        }
        LOG.log(Level.WARNING, "no terminal for line editing; the shell reads plain lines");
        return builder().dumb(true).build();
    }

    private static TerminalBuilder builder() {
        // Ctrl-C, Ctrl-Z and Ctrl-\ reach the terminal's handlers, which ignore them unless the shell says otherwise
        return TerminalBuilder.builder().name("bulkhead").system(true).nativeSignals(true).signalHandler(Terminal.SignalHandler.SIG_IGN);
    }

    private void loop(Terminal t) {
        PrintStream out = new PrintStream(t.output(), true, t.encoding());
        CommandSession session = processor.createSession(t.input(), out, out);
        session.put("SCOPE", ShellCommands.SCOPE_PATH);
        session.put(".terminal", t);
        session.put(".processor", processor);
        LineReader reader = LineReaderBuilder.builder().appName("bulkhead").terminal(t)
                .completer(new QvmCompleter(session, new QvmCompletions(admin)))
                .highlighter(new Highlighter(session)).parser(new Parser()).expander(new Expander(session))
                .variable(LineReader.HISTORY_FILE, history).variable(LineReader.HISTORY_SIZE, HISTORY_LINES)
                .variable(LineReader.HISTORY_FILE_SIZE, HISTORY_LINES).variable(LineReader.SECONDARY_PROMPT_PATTERN, "%M%P > ")
                .build();
        reader.setOpt(LineReader.Option.AUTO_FRESH_LINE);
        session.put(".reader", reader);
        Attributes noSignals = t.getAttributes();
        noSignals.setLocalFlag(Attributes.LocalFlag.ISIG, false);
        t.setAttributes(noSignals);
        reader.getWidgets().put(CANCEL_LINE, () -> {
            throw new UserInterruptException(reader.getBuffer().toString());
        });
        for (String keymap : List.of(LineReader.EMACS, LineReader.VIINS, LineReader.VICMD)) {
            reader.getKeyMaps().get(keymap).bind(new Reference(CANCEL_LINE), KeyMap.ctrl('C'));
        }
        // a SIGINT sent to the platform (kill -INT) interrupts the command running, as Ctrl-C does
        t.handle(Signal.INT, s -> interrupt(session));
        threadIO.setStreams(t.input(), out, out);
        try {
            out.println(banner);
            while (!closing) {
                String line;
                try {
                    line = reader.readLine(PROMPT);
                } catch (UserInterruptException cancelled) {
                    continue;
                } catch (EndOfFileException ctrlD) {
                    break;
                }
                if (!line.isBlank()) {
                    run(session, out, line);
                }
            }
        } finally {
            threadIO.close();
            session.close();
        }
        if (!closing) {
            stopPlatform.run();
        }
    }

    private static void interrupt(CommandSession session) {
        Job job = session.foregroundJob();
        if (job != null) {
            job.interrupt();
        }
    }

    private void run(CommandSession session, PrintStream out, String line) {
        try {
            Object result = watched(session, line);
            if (result != null) {
                out.println(session.format(result, Converter.INSPECT));
            }
        } catch (Exception e) {
            session.put("exception", e);
            AttributedStringBuilder error = new AttributedStringBuilder().style(AttributedStyle.DEFAULT.foreground(AttributedStyle.RED))
                    .append(ErrorLine.of(e)).style(AttributedStyle.DEFAULT);
            out.println(error.toAnsi(terminal));
        } finally {
            // an interrupt meant for the command must not end the next line
            Thread.interrupted();
        }
    }

    /**
     * Runs the line while watching the keyboard for Ctrl-C, which interrupts it. Other keys typed meanwhile stay in
     * the input for the next line. The terminal is in raw mode meanwhile, so that the watch reads keys as they come.
     */
    private Object watched(CommandSession session, String line) throws Exception {
        NonBlockingReader keys = terminal.reader();
        Attributes cooked = terminal.enterRawMode();
        AtomicBoolean done = new AtomicBoolean();
        Thread watch = new Thread(() -> {
            try {
                while (!done.get()) {
                    int c = keys.peek(50);
                    if (c == CTRL_C) {
                        keys.read();
                        interrupt(session);
                    } else if (c == NonBlockingReader.EOF) {
                        return;
                    } else if (c >= 0) {
                        Thread.sleep(50);
                    }
                }
            } catch (IOException | InterruptedException e) {
                LOG.log(Level.DEBUG, "Ctrl-C watch ended: " + e);
            }
        }, "bulkhead-shell-ctrl-c");
        watch.setDaemon(true);
        watch.start();
        try {
            return session.execute(line);
        } finally {
            done.set(true);
            boolean interrupted = Thread.interrupted();
            watch.join();
            terminal.setAttributes(cooked);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Ends the loop: the terminal is closed (which gives it back as it was) and the reading stops. */
    void close() {
        closing = true;
        Terminal t = terminal;
        if (t != null) {
            try {
                t.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing the terminal: " + e);
            }
        }
    }
}
