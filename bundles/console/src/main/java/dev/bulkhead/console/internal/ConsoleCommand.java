package dev.bulkhead.console.internal;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.command.CommandLine;

/**
 * {@code qvm:console token create [--name NAME] [--expires WHEN] | token list | token revoke ID}: the
 * API tokens programs use as {@code Authorization: Bearer}. The login secret opens the console's
 * page only.
 */
@Component(service = ConsoleCommand.class, property = { "osgi.command.scope=qvm", "osgi.command.function=console" })
public final class ConsoleCommand {
    static final String USAGE = "qvm:console token create [--name NAME] [--expires WHEN] | token list | token revoke ID";
    private static final Pattern RELATIVE = Pattern.compile("([1-9][0-9]{0,5})([mhd])");
    private static final String[] HEADER = { "ID", "NAME", "CREATED", "EXPIRES", "LAST-USED" };

    private final ApiTokenStore tokens;
    private final Clock clock;

    @Activate
    public ConsoleCommand(@Reference ApiTokenStore tokens) {
        this(tokens, Clock.systemUTC());
    }

    ConsoleCommand(ApiTokenStore tokens, Clock clock) {
        this.tokens = tokens;
        this.clock = clock;
    }

    @Descriptor("The console's API tokens. Usage: " + USAGE + ". create prints a new token once (only its hash is kept);"
            + " WHEN is 90m, 12h, 30d, a date (2027-01-31) or a time (2027-01-31T12:00:00Z); list shows ids, names and"
            + " use, never a token; revoke makes a token fail at once")
    public void console(@Descriptor("token create [--name NAME] [--expires WHEN] | token list | token revoke ID") String... args) {
        run(Arrays.asList(args), System.out);
    }

    void run(List<String> words, PrintStream out) {
        if (words.isEmpty() || !words.get(0).equals("token")) {
            throw new InvalidValueException("subcommand", words.isEmpty() ? "" : words.get(0), "token: " + USAGE);
        }
        String action = words.size() < 2 ? "" : words.get(1);
        List<String> rest = words.subList(Math.min(2, words.size()), words.size());
        switch (action) {
            case "create" -> create(rest, out);
            case "list" -> {
                noOperands(rest, "token list");
                list(out);
            }
            case "revoke" -> {
                if (rest.size() != 1) {
                    throw new InvalidValueException("token revoke", String.join(" ", rest), "one token id: " + USAGE);
                }
                tokens.revoke(rest.get(0));
                out.println("revoked " + rest.get(0));
            }
            default -> throw new InvalidValueException("token action", action, "create, list or revoke: " + USAGE);
        }
    }

    private void create(List<String> args, PrintStream out) {
        CommandLine cl = CommandLine.parse(args.toArray(String[]::new), Set.of(), Set.of("--name", "--expires"), Map.of());
        cl.operands(0, 0, USAGE);
        String name = cl.value("--name", null);
        String when = cl.value("--expires", null);
        Instant expires = when == null ? null : when(when);
        ApiTokenStore.Created created = tokens.create(name, expires);
        out.println("API token " + created.token().id() + " (" + created.token().name() + "), expires "
                + (expires == null ? "never" : expires) + ":");
        out.println(created.secret());
        out.println("It is shown this once only; send it as Authorization: Bearer. Revoke it with qvm:console token revoke "
                + created.token().id());
    }

    /** An expiry as a person writes it: a span from now, a date (its start, UTC) or a time. */
    Instant when(String text) {
        Matcher m = RELATIVE.matcher(text);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration span = switch (m.group(2)) {
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            return clock.instant().plus(span);
        }
        try {
            return text.contains("T") ? Instant.parse(text) : LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException e) {
            throw new InvalidValueException("--expires", text, "a span such as 90m, 12h or 30d, a date such as 2027-01-31,"
                    + " or a time such as 2027-01-31T12:00:00Z");
        }
    }

    private void list(PrintStream out) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (ApiToken t : tokens.list()) {
            rows.add(new String[] { t.id(), t.name(), shown(t.created()), shown(t.expires()), shown(t.lastUsed()) });
        }
        int[] widths = new int[HEADER.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + (widths[i] + 2) + "s", row[i]));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    /** To the second: the table stays narrow. */
    private static String shown(Instant time) {
        return time == null ? "never" : time.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static void noOperands(List<String> rest, String what) {
        if (!rest.isEmpty()) {
            throw new InvalidValueException(what, String.join(" ", rest), "no operands: " + USAGE);
        }
    }
}
