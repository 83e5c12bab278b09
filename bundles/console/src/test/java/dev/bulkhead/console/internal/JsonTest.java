package dev.bulkhead.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.json.JsonMappers;

/** The API's JSON forms, member by member and in order, as the OpenAPI document describes them. */
class JsonTest {
    private final ObjectMapper json = JsonMappers.create();

    @Test
    void aQubeWithItsPropertiesFeaturesAndTags() throws Exception {
        Qube q = new Qube("work", 3, QubeClass.AppVM, PowerState.Running,
                Map.of("label", PropertyValue.set("blue"), "netvm", PropertyValue.byDefault("sys-firewall", "global default_netvm")),
                Map.of("gui", "1"), Set.of("b", "a"));
        assertEquals("{\"name\":\"work\",\"qid\":3,\"klass\":\"AppVM\",\"state\":\"Running\",\"label\":\"blue\",\"color\":\""
                + q.label().color() + "\",\"properties\":{\"label\":{\"value\":\"blue\",\"default\":false},"
                + "\"netvm\":{\"value\":\"sys-firewall\",\"default\":true,\"source\":\"global default_netvm\"}},"
                + "\"features\":{\"gui\":\"1\"},\"tags\":[\"a\",\"b\"]}", json.writeValueAsString(Json.qube(q)));
    }

    @Test
    void aRuleLeavesOutWhatItDoesNotSet() throws Exception {
        FirewallRule rule = FirewallRule.parse("action=accept proto=tcp dsthost=192.0.2.1 dstports=443", Instant.EPOCH);
        assertEquals("{\"rules\":[{\"index\":0,\"text\":\"" + rule + "\",\"action\":\"accept\",\"proto\":\"tcp\","
                + "\"dsthost\":\"" + rule.dsthost() + "\",\"dstports\":\"" + rule.dstports() + "\"}],\"problems\":[]}",
                json.writeValueAsString(Json.rules(List.of(rule), List.of())));
    }

    @Test
    void aRuleBehindOneThatMatchesAllItWouldNamesThatOne() throws Exception {
        FirewallRule web = FirewallRule.parse("action=accept proto=tcp dsthost=192.0.2.1 dstports=443", Instant.EPOCH);
        String list = json.writeValueAsString(Json.rules(List.of(FirewallRule.ACCEPT_ALL, web), List.of("a problem")));
        assertTrue(list.contains("\"dstports\":\"443\",\"shadowed_by\":0}"), list);
        assertEquals(1, list.split("shadowed_by", -1).length - 1, "the first rule is hidden by none: " + list);
        assertTrue(list.endsWith("\"problems\":[\"a problem\"]}"), list);
        assertFalse(json.writeValueAsString(Json.rules(List.of(web, FirewallRule.ACCEPT_ALL), List.of())).contains("shadowed_by"));
    }

    @Test
    void anEventOfThePlatformHasANullQubeAndSortedData() throws Exception {
        QubeEvent e = new QubeEvent("platform-ready", null, Map.of("z", "1", "a", "2"), Instant.parse("2026-01-02T03:04:05Z"));
        assertEquals("{\"type\":\"platform-ready\",\"qube\":null,\"data\":{\"a\":\"2\",\"z\":\"1\"},\"time\":\"2026-01-02T03:04:05Z\"}",
                json.writeValueAsString(Json.event(e)));
    }

    @Test
    void aProblemCarriesItsExtensionsAsMembers() throws Exception {
        Map<String, String> ext = new LinkedHashMap<>();
        ext.put("subject", "label");
        Problem p = new Problem(422, "urn:bulkhead:problem:invalid-value", "Invalid value", "no such label 'pink'", ext);
        assertEquals("{\"type\":\"urn:bulkhead:problem:invalid-value\",\"title\":\"Invalid value\",\"status\":422,"
                + "\"detail\":\"no such label 'pink'\",\"subject\":\"label\"}", json.writeValueAsString(Json.problem(p)));
    }

    @Test
    void statsRolesSessionsIndexAndRunResults() throws Exception {
        assertEquals("{\"cpu_ns\":5,\"memory_bytes\":6,\"time\":\"2026-01-02T03:04:05Z\"}",
                json.writeValueAsString(Json.stats(new QubeStats(5, 6, Instant.parse("2026-01-02T03:04:05Z")))));
        assertEquals("{\"roles\":[{\"id\":\"netvm\",\"description\":\"d\",\"provides_network\":true,\"qubes\":[\"sys-net\"],"
                + "\"notices\":[\"no uplink\"]}]}",
                json.writeValueAsString(Json.roles(List.of(new RoleInfo("netvm", "d", true, List.of("sys-net"), List.of("no uplink"))))));
        assertEquals("{\"authenticated\":false}", json.writeValueAsString(new Json.SessionForm(false, null)));
        assertEquals("{\"authenticated\":true,\"csrf_token\":\"t\"}", json.writeValueAsString(new Json.SessionForm(true, "t")));
        assertEquals("{\"backend\":\"lite\",\"state_problems\":[],\"openapi\":\"o\",\"qubes\":\"q\",\"events\":\"e\"}",
                json.writeValueAsString(new Json.IndexForm("lite", List.of(), "o", "q", "e")));
        assertEquals("{\"exit_status\":1,\"stdout\":\"out\",\"stderr\":\"\"}", json.writeValueAsString(new Json.RunResult(1, "out", "")));
    }
}
