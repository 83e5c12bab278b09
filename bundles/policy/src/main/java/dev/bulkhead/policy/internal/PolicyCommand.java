package dev.bulkhead.policy.internal;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.command.CommandLine;
import dev.bulkhead.api.policy.CallLog;
import dev.bulkhead.api.policy.CallRecord;
import dev.bulkhead.api.policy.PolicyAction;
import dev.bulkhead.api.policy.PolicyDecision;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.PolicyRule;
import dev.bulkhead.api.policy.PolicyStatus;
import dev.bulkhead.api.policy.PolicySyntaxException;
import dev.bulkhead.api.policy.Prompt;
import dev.bulkhead.api.policy.QrexecPolicy;

/**
 * {@code qvm:policy list | check SERVICE[+ARG] SOURCE TARGET | reload | ask ... | log [N]}: the qrexec policy in force,
 * what it decides for a call, loading it again from its files, the prompts waiting for the user, and the recent calls.
 */
@Component(service = PolicyCommand.class, property = { "osgi.command.scope=qvm", "osgi.command.function=policy" })
public final class PolicyCommand {
    static final String USAGE = "qvm:policy list | check SERVICE[+ARG] SOURCE TARGET | reload | ask [list] | ask allow ID TARGET"
            + " | ask deny ID | log [N]";
    private final QrexecPolicy policy;
    private final PolicyPrompts prompts;
    private final CallLog calls;

    @Activate
    public PolicyCommand(@Reference QrexecPolicy policy, @Reference PolicyPrompts prompts, @Reference CallLog calls) {
        this.policy = policy;
        this.prompts = prompts;
        this.calls = calls;
    }

    @Descriptor("The qrexec policy: which qube may call which service in which other qube, from Qubes' policy files"
            + " (etc/policy.d/*.policy, read in lexical order; the first rule that matches decides, none denies). Usage: " + USAGE
            + "\n  list    the rules in force, in the order they are tried, each as FILE:LINE and its text"
            + "\n  check   what the policy decides for a call and the rule that decides it; TARGET as the caller asks:"
            + " a qube, dom0, @dispvm, @dispvm:NAME or @default"
            + "\n  reload  reads the files again and puts them in force whole; an error in any file refuses them all, naming"
            + " FILE:LINE, and the rules in force stay. Files are read only at start and on reload"
            + "\n  ask     the calls that wait for the user (the policy said ask): each with its ID, the caller, the"
            + " service and the targets it may go to, the default marked *; 'ask allow ID TARGET' lets it through to"
            + " TARGET (one of those listed), 'ask deny ID' refuses it; unanswered, it is refused at its deadline"
            + "\n  log     the last N calls (default 20), oldest first: time, source -> target, service, decision, why")
    public void policy(@Descriptor("list | check SERVICE[+ARG] SOURCE TARGET | reload | ask [list | allow ID TARGET | deny ID]"
            + " | log [N]") String... args) {
        List<String> words = CommandLine.parse(args, Set.of(), Set.of(), Map.of()).operands();
        String action = words.isEmpty() ? "" : words.get(0);
        List<String> operands = words.isEmpty() ? List.of() : words.subList(1, words.size());
        switch (action) {
            case "list" -> {
                expect(operands, 0, "list takes no operands");
                list(policy.status(), policy.rules(), System.out);
            }
            case "check" -> {
                expect(operands, 3, "check takes SERVICE[+ARG] SOURCE TARGET");
                print(policy.evaluate(PolicyRequest.of(operands.get(0), operands.get(1), operands.get(2))), System.out);
            }
            case "reload" -> {
                expect(operands, 0, "reload takes no operands");
                reload(System.out);
            }
            case "ask" -> ask(operands, System.out);
            case "log" -> {
                if (operands.size() > 1) {
                    expect(operands, 1, "log takes at most N");
                }
                log(calls.recent(operands.isEmpty() ? 20 : count(operands.get(0))), System.out);
            }
            default -> throw new InvalidValueException("action", PolicyNames.printable(action), "list, check, reload, ask or log: " + USAGE);
        }
    }

    private void ask(List<String> operands, PrintStream out) {
        String what = operands.isEmpty() ? "list" : operands.get(0);
        switch (what) {
            case "list" -> {
                expect(operands.subList(Math.min(1, operands.size()), operands.size()), 0, "ask list takes no operands");
                prompts(prompts.pending(), Instant.now(), out);
            }
            case "allow" -> {
                expect(operands, 3, "ask allow takes ID TARGET");
                prompts.answer(operands.get(1), true, operands.get(2), "shell");
                out.println("allowed: " + PolicyNames.printable(operands.get(2)));
            }
            case "deny" -> {
                expect(operands, 2, "ask deny takes ID");
                prompts.answer(operands.get(1), false, null, "shell");
                out.println("denied");
            }
            default -> throw new InvalidValueException("ask", PolicyNames.printable(what), "list, allow ID TARGET or deny ID: " + USAGE);
        }
    }

    private static int count(String n) {
        try {
            int v = Integer.parseInt(n);
            if (v >= 1 && v <= CallLogService.MAX_SIZE) {
                return v;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new InvalidValueException("N", PolicyNames.printable(n), "a number of calls, 1 to " + CallLogService.MAX_SIZE);
    }

    static void prompts(List<Prompt> pending, Instant now, PrintStream out) {
        if (pending.isEmpty()) {
            out.println("no prompt waits");
            return;
        }
        for (Prompt p : pending) {
            long left = Math.max(0, Duration.between(now, p.deadline()).toSeconds());
            out.println(p.id() + "  " + p.source() + " -> " + p.targetAsked() + "  " + p.service()
                    + (p.argument().equals("+") ? "" : p.argument()) + "  " + left + " s left");
            out.println("    targets: " + String.join(", ", p.targets().stream()
                    .map(t -> t.equals(p.defaultTarget()) ? t + "*" : t).toList()));
        }
    }

    static void log(List<CallRecord> records, PrintStream out) {
        if (records.isEmpty()) {
            out.println("no calls logged");
            return;
        }
        for (CallRecord c : records) {
            out.println(c.time().truncatedTo(ChronoUnit.SECONDS) + "  " + c.source() + " -> " + c.targetAsked()
                    + (c.target() == null || c.target().equals(c.targetAsked()) ? "" : " (" + c.target() + ")") + "  " + c.service()
                    + (c.argument().equals("+") ? "" : c.argument()) + "  " + c.action().word() + " " + (c.allowed() ? "allowed" : "refused")
                    + "  " + PolicyNames.printable(c.detail()));
        }
    }

    private static void expect(List<String> operands, int count, String what) {
        if (operands.size() != count) {
            throw new InvalidValueException("arguments", PolicyNames.printable(String.join(" ", operands)), what + ": " + USAGE);
        }
    }

    static void list(PolicyStatus status, List<PolicyRule> rules, PrintStream out) {
        out.println(count(rules.size(), "rule") + " from " + count(status.files().size(), "file") + " in " + status.directory() + ", loaded "
                + status.loaded());
        if (status.problem() != null) {
            out.println("last reload refused, these rules stay in force: " + status.problem());
        }
        int width = rules.stream().mapToInt(r -> (r.file() + ":" + r.line()).length()).max().orElse(0);
        for (PolicyRule r : rules) {
            out.printf("%-" + width + "s  %s%n", r.file() + ":" + r.line(), r.text());
        }
    }

    static void print(PolicyDecision d, PrintStream out) {
        out.println("decision    " + d.action().word());
        if (d.action() == PolicyAction.ALLOW) {
            out.println("target      " + d.target());
        }
        if (d.action() == PolicyAction.ASK) {
            out.println("targets     " + String.join(", ", d.targetsForAsk()));
            out.println("default     " + (d.defaultTarget() == null ? "-" : d.defaultTarget()));
        }
        if (d.action() != PolicyAction.DENY) {
            out.println("user        " + (d.user() == null ? "DEFAULT" : d.user()));
            out.println("autostart   " + (d.autostart() ? "yes" : "no"));
        }
        out.println("notify      " + (d.notifyUser() ? "yes" : "no"));
        out.println("reason      " + d.reason());
        out.println("rule        " + d.matchedRule().map(PolicyRule::toString).orElse("none matched"));
    }

    private void reload(PrintStream out) {
        try {
            PolicyStatus s = policy.reload();
            out.println("loaded " + count(s.rules(), "rule") + " from " + count(s.files().size(), "file") + " in " + s.directory()
                    + (s.files().isEmpty() ? "" : ": " + String.join(", ", s.files())));
        } catch (PolicySyntaxException e) {
            throw new PolicySyntaxException(e.file(), e.line(), e.problem()
                    + "; the policy is refused whole and the " + count(policy.status().rules(), "rule") + " in force stay");
        }
    }

    private static String count(int n, String word) {
        return n + " " + word + (n == 1 ? "" : "s");
    }
}
