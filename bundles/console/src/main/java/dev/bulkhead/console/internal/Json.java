package dev.bulkhead.console.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import dev.bulkhead.api.PropertyType;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeEvent;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.RoleInfo;
import dev.bulkhead.api.VolumeInfo;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.gui.GuiWindow;

/**
 * The JSON form of every API object, as records the console's mapper writes; the OpenAPI document
 * describes the same forms.
 */
final class Json {
    private Json() {
    }

    record QubeForm(String name, int qid, String klass, String state, String label, String color,
            Map<String, PropertyForm> properties, Map<String, String> features, List<String> tags) {
    }

    static QubeForm qube(Qube q) {
        return new QubeForm(q.name(), q.qid(), q.klass().name(), q.state().name(), q.label().id(), q.label().color(),
                properties(q.properties()), q.features(), List.copyOf(q.tags()));
    }

    record QubeList(List<QubeForm> qubes) {
    }

    static QubeList qubes(List<Qube> qubes) {
        return new QubeList(qubes.stream().map(Json::qube).toList());
    }

    /** Where a property's value comes from is given only for a default. */
    record PropertyForm(String value, @JsonProperty("default") boolean byDefault,
            @JsonInclude(JsonInclude.Include.NON_NULL) String source) {
    }

    static PropertyForm property(PropertyValue v) {
        return new PropertyForm(v.value(), v.isDefault(), v.isDefault() ? v.source() : null);
    }

    static Map<String, PropertyForm> properties(Map<String, PropertyValue> properties) {
        Map<String, PropertyForm> forms = new LinkedHashMap<>();
        properties.forEach((name, value) -> forms.put(name, property(value)));
        return forms;
    }

    record TagList(List<String> tags) {
    }

    /**
     * A property's declaration, for a client to offer the right input: {@code min} and {@code max}
     * bound an {@code int}'s value, {@code max} a {@code string}'s length (absent: no limit).
     */
    record DeclarationForm(String name, String type, String description, String accepts,
            @JsonProperty("read_only") boolean readOnly, @JsonProperty("changes_while_running") boolean changesWhileRunning,
            List<String> classes, @JsonInclude(JsonInclude.Include.NON_NULL) Integer min,
            @JsonInclude(JsonInclude.Include.NON_NULL) Integer max) {
    }

    record DeclarationList(List<DeclarationForm> properties) {
    }

    static DeclarationList declarations() {
        return new DeclarationList(java.util.Arrays.stream(QubeProperty.values()).map(Json::declaration).toList());
    }

    static DeclarationForm declaration(QubeProperty p) {
        boolean bounded = p.type() == PropertyType.INT || p.type() == PropertyType.STRING && p.limit() > 0;
        return new DeclarationForm(p.id(), p.type().name().toLowerCase(java.util.Locale.ROOT), p.description(), p.accepts(),
                p.readOnly(), p.changesWhileRunning(), p.classes().stream().map(QubeClass::name).sorted().toList(),
                p.type() == PropertyType.INT ? 1 : null, bounded ? p.limit() : null);
    }

    /** A volume as {@code qvm-volume info} shows it, its revisions newest first. */
    record VolumeForm(String name, String pool, String vid, boolean rw, String source, @JsonProperty("save_on_stop") boolean saveOnStop,
            @JsonProperty("snap_on_start") boolean snapOnStart, long size, long usage,
            @JsonProperty("revisions_to_keep") int revisionsToKeep, List<RevisionForm> revisions) {
    }

    record RevisionForm(String name, String time) {
    }

    record VolumeList(List<VolumeForm> volumes) {
    }

    static VolumeForm volume(VolumeInfo v) {
        return new VolumeForm(v.name(), v.pool(), v.vid(), v.rw(), v.source(), v.saveOnStop(), v.snapOnStart(), v.size(), v.usage(),
                v.revisionsToKeep(), v.revisions().stream().map(r -> new RevisionForm(r.name(), r.time().toString())).toList());
    }

    /**
     * A rule in its text form, and field by field, each left out when the rule does not set it;
     * {@code shadowed_by} is the number of an earlier rule that matches all it would, so that it never decides.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record RuleForm(int index, String text, String action, String proto, String dsthost, String dstports, Integer icmptype,
            String specialtarget, String expire, String comment, @JsonProperty("shadowed_by") Integer shadowedBy) {
    }

    /** {@code problems}: what the qube's netvm cannot put in force as written now, one sentence each. */
    record RuleList(List<RuleForm> rules, List<String> problems) {
    }

    static RuleList rules(List<FirewallRule> rules, List<String> problems) {
        return new RuleList(java.util.stream.IntStream.range(0, rules.size()).mapToObj(i -> rule(rules, i)).toList(), List.copyOf(problems));
    }

    static RuleForm rule(List<FirewallRule> rules, int index) {
        FirewallRule r = rules.get(index);
        java.util.OptionalInt shadowing = FirewallRule.shadowing(rules, index);
        return new RuleForm(index, r.toString(), r.action().toString(), text(r.proto()), text(r.dsthost()), text(r.dstports()),
                r.icmptype(), text(r.specialtarget()), text(r.expire()), text(r.comment()),
                shadowing.isPresent() ? shadowing.getAsInt() : null);
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }

    record StatsForm(@JsonProperty("cpu_ns") long cpuNanos, @JsonProperty("memory_bytes") long memoryBytes, String time) {
    }

    static StatsForm stats(QubeStats s) {
        return new StatsForm(s.cpuNanos(), s.memoryBytes(), s.time().toString());
    }

    record AllStats(String time, Map<String, StatsForm> qubes) {
    }

    /** Code points of a window title: what dom0's GUI decoder lets through, kept here too since the text is the qube's. */
    static final int MAX_TITLE_CHARS = 128;

    /** A qube's window: the title is the qube's own text (dom0 shows it after {@code [qube]}), the geometry in the qube. */
    record WindowForm(int id, String title, int x, int y, int width, int height, String geometry, boolean mapped,
            @JsonProperty("override_redirect") boolean overrideRedirect) {
    }

    static WindowForm window(GuiWindow w) {
        String title = w.title();
        if (title.codePointCount(0, title.length()) > MAX_TITLE_CHARS) {
            title = title.substring(0, title.offsetByCodePoints(0, MAX_TITLE_CHARS));
        }
        return new WindowForm(w.id(), title, w.x(), w.y(), w.width(), w.height(), w.geometry(), w.mapped(), w.overrideRedirect());
    }

    /** {@code session}: open, ended or none; {@code note} says why there are no windows, when that is not plain. */
    record WindowList(String qube, @JsonProperty("gui_installed") boolean guiInstalled, String session,
            @JsonInclude(JsonInclude.Include.NON_NULL) String note, List<WindowForm> windows) {
    }

    record RoleForm(String id, String description, @JsonProperty("provides_network") boolean providesNetwork, List<String> qubes,
            List<String> notices) {
    }

    record RoleList(List<RoleForm> roles) {
    }

    static RoleList roles(List<RoleInfo> roles) {
        return new RoleList(roles.stream()
                .map(r -> new RoleForm(r.id(), r.description(), r.providesNetwork(), List.copyOf(r.qubes()), List.copyOf(r.notices())))
                .toList());
    }

    /** An event for the event stream; {@code qube} is null for an event of the platform. */
    record EventForm(String type, String qube, Map<String, String> data, String time) {
    }

    static EventForm event(QubeEvent e) {
        return new EventForm(e.type(), e.qube(), new TreeMap<>(e.data()), e.time().toString());
    }

    /** RFC 9457: the extensions are members of the problem object itself. */
    @JsonPropertyOrder({ "type", "title", "status", "detail" })
    record ProblemForm(String type, String title, int status, String detail, @JsonIgnore Map<String, String> extensions) {
        @JsonAnyGetter
        Map<String, String> members() {
            return extensions;
        }
    }

    static ProblemForm problem(Problem p) {
        return new ProblemForm(p.type(), p.title(), p.status(), p.detail(), p.extensions());
    }

    record SessionForm(boolean authenticated, @JsonProperty("csrf_token") @JsonInclude(JsonInclude.Include.NON_NULL) String csrfToken) {
    }

    record IndexForm(String backend, @JsonProperty("state_problems") List<String> stateProblems, String openapi, String qubes,
            String events) {
    }

    record RunResult(@JsonProperty("exit_status") int exitStatus, String stdout, String stderr) {
    }
}
