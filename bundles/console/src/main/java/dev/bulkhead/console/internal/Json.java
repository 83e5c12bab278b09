package dev.bulkhead.console.internal;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonGenerator;

import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.firewall.FirewallRule;

/**
 * The JSON form of every API object, written as a stream so that a
 * list of a thousand qubes costs no intermediate tree. No Jackson module is needed: every value is
 * written here field by field.
 */
final class Json {
    private Json() {
    }

    static void qube(JsonGenerator g, Qube q) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", q.name());
        g.writeNumberField("qid", q.qid());
        g.writeStringField("klass", q.klass().name());
        g.writeStringField("state", q.state().name());
        g.writeStringField("label", q.label().id());
        g.writeStringField("color", q.label().color());
        g.writeFieldName("properties");
        properties(g, q.properties());
        g.writeFieldName("features");
        stringMap(g, q.features());
        g.writeArrayFieldStart("tags");
        for (String t : q.tags()) {
            g.writeString(t);
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    static void properties(JsonGenerator g, Map<String, PropertyValue> properties) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, PropertyValue> e : properties.entrySet()) {
            g.writeFieldName(e.getKey());
            property(g, e.getValue());
        }
        g.writeEndObject();
    }

    static void property(JsonGenerator g, PropertyValue v) throws IOException {
        g.writeStartObject();
        g.writeStringField("value", v.value());
        g.writeBooleanField("default", v.isDefault());
        if (v.isDefault()) {
            g.writeStringField("source", v.source());
        }
        g.writeEndObject();
    }

    static void stringMap(JsonGenerator g, Map<String, String> map) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, String> e : map.entrySet()) {
            g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }

    static void rules(JsonGenerator g, List<FirewallRule> rules) throws IOException {
        g.writeStartObject();
        g.writeArrayFieldStart("rules");
        for (int i = 0; i < rules.size(); i++) {
            rule(g, i, rules.get(i));
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    static void rule(JsonGenerator g, int index, FirewallRule r) throws IOException {
        g.writeStartObject();
        g.writeNumberField("index", index);
        g.writeStringField("text", r.toString());
        g.writeStringField("action", r.action().toString());
        optional(g, "proto", r.proto());
        optional(g, "dsthost", r.dsthost());
        optional(g, "dstports", r.dstports());
        if (r.icmptype() != null) {
            g.writeNumberField("icmptype", r.icmptype());
        }
        optional(g, "specialtarget", r.specialtarget());
        optional(g, "expire", r.expire());
        optional(g, "comment", r.comment());
        g.writeEndObject();
    }

    private static void optional(JsonGenerator g, String field, Object value) throws IOException {
        if (value != null) {
            g.writeStringField(field, value.toString());
        }
    }

    static void stats(JsonGenerator g, QubeStats s) throws IOException {
        g.writeStartObject();
        g.writeNumberField("cpu_ns", s.cpuNanos());
        g.writeNumberField("memory_bytes", s.memoryBytes());
        g.writeStringField("time", s.time().toString());
        g.writeEndObject();
    }

    static void role(JsonGenerator g, RoleInfo r) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", r.id());
        g.writeStringField("description", r.description());
        g.writeBooleanField("provides_network", r.providesNetwork());
        g.writeArrayFieldStart("qubes");
        for (String q : r.qubes()) {
            g.writeString(q);
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    static void event(JsonGenerator g, QubeEvent e) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", e.type());
        if (e.qube() == null) {
            g.writeNullField("qube");
        } else {
            g.writeStringField("qube", e.qube());
        }
        g.writeFieldName("data");
        stringMap(g, new java.util.TreeMap<>(e.data()));
        g.writeStringField("time", e.time().toString());
        g.writeEndObject();
    }

    static void problem(JsonGenerator g, Problem p) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", p.type());
        g.writeStringField("title", p.title());
        g.writeNumberField("status", p.status());
        g.writeStringField("detail", p.detail());
        for (Map.Entry<String, String> e : p.extensions().entrySet()) {
            g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }
}
