package dev.bulkhead.console.internal;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Every request body as a record, read by {@link JsonBody#read}. A component's declaration order is
 * the order its field is checked in and named in an "accepted:" list, its {@link JsonProperty} name
 * (or else its own) the field's name; {@code required} marks a field
 * that may not be absent or null, {@link Whole} the bounds of a number. An absent optional field is null.
 */
final class Bodies {
    static final int MAX_TIMEOUT_SECONDS = 3600;

    private Bodies() {
    }

    /** The bounds of a whole-number field. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    @interface Whole {
        int min();

        int max();
    }

    record NewQube(@JsonProperty(required = true) String name, String klass, @JsonProperty(required = true) String label,
            Map<String, String> properties) {
    }

    /** The body of an action that takes no fields. */
    record NoFields() {
    }

    /** {@code wait} cannot name a record component, as it names a method of every object. */
    record Shutdown(Boolean force, @JsonProperty("wait") Boolean waitForIt, @Whole(min = 1, max = MAX_TIMEOUT_SECONDS) Integer timeout) {
    }

    record Restart(@Whole(min = 1, max = MAX_TIMEOUT_SECONDS) Integer timeout) {
    }

    record Clone(@JsonProperty(required = true) String target) {
    }

    record Run(@JsonProperty(required = true) List<String> command, String stdin,
            @Whole(min = 1, max = MAX_TIMEOUT_SECONDS) Integer timeout) {
    }

    record Value(@JsonProperty(required = true) String value) {
    }

    record Login(@JsonProperty(required = true) String secret) {
    }

    /** {@code replaces}, when given, is the list the client saw: the change is refused if the rules are no longer those. */
    record RuleList(@JsonProperty(required = true) List<String> rules, List<String> replaces) {
    }

    /** {@code revision} null: the newest. */
    record Revert(String revision) {
    }

    record NewRule(@JsonProperty(required = true) String rule, @Whole(min = 0, max = Integer.MAX_VALUE) Integer before) {
    }
}
