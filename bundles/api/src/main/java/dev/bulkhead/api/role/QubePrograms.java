package dev.bulkhead.api.role;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;

/**
 * What a role needs in the root of its qubes (programs, and users it runs them as), each with where it
 * comes from, so that a role whose command failed can say which of them the qube's template lacks
 * instead of passing a shell's "not found" on: {@code sys-tor's template bulkhead-base has no
 * /usr/bin/tor (Debian package tor)}. A role asks only after a command failed, so that it costs
 * nothing while all is there.
 *
 * @since 1.4
 */
public final class QubePrograms {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** A program by absolute path or by name (looked up on the qube's PATH), or a user name. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_./+-]{1,200}");
    private static final String USER = "user:";
    /** Prints each argument the qube lacks, one a line: {@code user:NAME} by /etc/passwd, a path by -x, a name by the PATH. */
    private static final String CHECK = """
            for p; do
                case "$p" in
                    user:*) grep -q "^${p#user:}:" /etc/passwd 2>/dev/null || echo "$p" ;;
                    */*) [ -x "$p" ] || echo "$p" ;;
                    *) command -v "$p" >/dev/null 2>&1 || echo "$p" ;;
                esac
            done
            """;

    /** Each requirement, in order, and how to get it: {@code Debian package nftables}. */
    private final Map<String, String> needs;

    private QubePrograms(Map<String, String> needs) {
        this.needs = needs;
    }

    /**
     * Programs by absolute path ({@code /usr/bin/tor}) or by the name the role runs them by ({@code nft}),
     * each followed by the Debian package that has it: {@code of("nft", "nftables", "/sbin/ip", "iproute2")}.
     */
    public static QubePrograms of(String... programAndPackage) {
        if (programAndPackage.length % 2 != 0) {
            throw new IllegalArgumentException("programs and their packages come in pairs: " + List.of(programAndPackage));
        }
        Map<String, String> needs = new LinkedHashMap<>();
        for (int i = 0; i < programAndPackage.length; i += 2) {
            needs.put(checked(programAndPackage[i]), "Debian package " + programAndPackage[i + 1]);
        }
        return new QubePrograms(needs);
    }

    /** These and a user the role runs a program as, with why it is needed ({@code the TorVM runs tor as it}). */
    public QubePrograms andUser(String user, String why) {
        Map<String, String> more = new LinkedHashMap<>(needs);
        more.put(USER + checked(user), why);
        return new QubePrograms(more);
    }

    private static String checked(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a program path or name: " + name);
        }
        return name;
    }

    /**
     * What of these the qube lacks, as one line for people naming the qube, its template (or its own root)
     * and where each missing one comes from: {@code sys-tor's template bulkhead-base has no /usr/bin/tor
     * (Debian package tor)}; empty when it has all, or when the qube cannot be asked. Runs one short
     * check in the qube. Only the names asked about are taken from its answer.
     */
    public Optional<String> missing(RoleContext context) {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", CHECK, "sh"));
        command.addAll(needs.keySet());
        ExecResult r;
        try {
            r = context.exec(command, new byte[0], TIMEOUT);
        } catch (AdminException e) {
            return Optional.empty();
        }
        List<String> answer = new String(r.stdout(), StandardCharsets.UTF_8).lines().map(String::strip).toList();
        List<String> lacking = new ArrayList<>();
        needs.forEach((need, source) -> {
            if (answer.contains(need)) {
                lacking.add("no " + (need.startsWith(USER) ? "user " + need.substring(USER.length()) : need) + " (" + source + ")");
            }
        });
        if (lacking.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(root(context.qube()) + " has " + String.join(", ", lacking));
    }

    /**
     * {@code failure} when the qube has everything, and otherwise a failure that names what it lacks
     * (with {@code failure} as its cause): what a role throws when a command failed.
     */
    public AdminException explain(RoleContext context, AdminException failure) {
        return missing(context).map(m -> new AdminException(m, failure)).orElse(failure);
    }

    /** Whose root the qube runs: its template's, a TemplateVM's own, a disposable's template's, or its own. */
    static String root(Qube qube) {
        if (qube.klass() == QubeClass.TemplateVM) {
            return "template " + qube.name();
        }
        String template = qube.value(QubeProperty.TEMPLATE);
        if (template.isEmpty()) {
            return "the root of " + qube.name();
        }
        return qube.klass() == QubeClass.DispVM ? "the template of " + qube.name() + "'s disposable template " + template
                : qube.name() + "'s template " + template;
    }
}
