package dev.bulkhead.console.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.firewall.FirewallRule;

/**
 * {@code /api/qubes/NAME/firewall}: a qube's firewall rules, replaced whole (on condition that they are still
 * the ones the client saw, when it says which), added one at a time or removed by number.
 */
final class FirewallResource {
    private final QubeAdmin admin;
    private final ObjectMapper json;

    FirewallResource(QubeAdmin admin, ObjectMapper json) {
        this.admin = admin;
        this.json = json;
    }

    ApiResponse handle(ApiRequest r, String name, List<String> p, String m) {
        if (p.size() == 3) {
            switch (m) {
                case "GET":
                    return rules(name);
                case "PUT": {
                    Bodies.RuleList body = JsonBody.parse(json, r.body(), "a firewall rule list", true).read(Bodies.RuleList.class);
                    List<String> texts = body.rules();
                    List<FirewallRule> rules = new ArrayList<>();
                    Instant now = Instant.now();
                    for (int i = 0; i < texts.size(); i++) {
                        rules.add(parseRule(i, texts.get(i), now));
                    }
                    if (body.replaces() == null) {
                        admin.setFirewallRules(name, rules);
                    } else {
                        admin.editFirewallRules(name, current -> {
                            if (!current.stream().map(FirewallRule::toString).toList().equals(body.replaces())) {
                                throw new ApiException(409, "conflict", "Changed meanwhile", "the firewall rules of '" + name
                                        + "' are no longer those in field 'replaces': someone changed them; read them again");
                            }
                            return rules;
                        });
                    }
                    return rules(name);
                }
                case "POST": {
                    Bodies.NewRule body = JsonBody.parse(json, r.body(), "a firewall rule", true).read(Bodies.NewRule.class);
                    FirewallRule rule = parseRule(-1, body.rule(), Instant.now());
                    Optional<Integer> before = Optional.ofNullable(body.before());
                    admin.editFirewallRules(name, current -> {
                        List<FirewallRule> rules = new ArrayList<>(current);
                        int at = before.orElse(rules.size());
                        if (at > rules.size()) {
                            throw ApiException.invalid("field 'before' is " + at + ", but '" + name + "' has " + rules.size()
                                    + " rules; accepted: 0 to " + rules.size());
                        }
                        rules.add(at, rule);
                        return rules;
                    });
                    return rules(name).withStatus(201);
                }
                default:
                    return Routes.notAllowed(m, "GET, PUT, POST");
            }
        }
        if (p.size() == 4) {
            return Routes.only(m, "DELETE", () -> {
                admin.editFirewallRules(name, current -> {
                    List<FirewallRule> rules = new ArrayList<>(current);
                    rules.remove(ruleIndex(p.get(3), rules.size(), name));
                    return rules;
                });
                return rules(name);
            });
        }
        throw ApiException.notFound("no API resource /api" + r.path());
    }

    private ApiResponse rules(String name) {
        List<FirewallRule> rules = admin.firewallRules(name);
        return ApiResponse.json(200, Json.rules(rules, admin.firewallProblems(name)));
    }

    private static FirewallRule parseRule(int index, String text, Instant now) {
        try {
            return FirewallRule.parse(text, now);
        } catch (InvalidValueException e) {
            if (index < 0) {
                throw e;
            }
            throw new InvalidValueException("rule " + index + " " + e.subject(), e.value(),
                    e.getMessage().substring(e.getMessage().indexOf("': ") + 3));
        }
    }

    private static int ruleIndex(String text, int size, String name) {
        if (!text.matches("[0-9]{1,9}") || Integer.parseInt(text) >= size) {
            throw ApiException.notFound("no firewall rule number '" + text + "' on '" + name + "'; "
                    + (size == 0 ? "it has none" : "it has rules 0 to " + (size - 1)));
        }
        return Integer.parseInt(text);
    }
}
