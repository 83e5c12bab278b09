package dev.bulkhead.console.internal;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A request body: one JSON object, read strictly. Text that is not JSON is a 400; a field of the
 * wrong type, a missing one or one that is not accepted is a 422 naming the field and what it takes.
 */
final class JsonBody {
    private final ObjectMapper json;
    private final String what;
    private final ObjectNode node;

    private JsonBody(ObjectMapper json, String what, ObjectNode node) {
        this.json = json;
        this.what = what;
        this.node = node;
    }

    /**
     * @param what     what the body describes, for messages ({@code "a new qube"})
     * @param required whether an empty body is refused; otherwise it reads as {@code {}}
     */
    static JsonBody parse(ObjectMapper json, byte[] bytes, String what, boolean required) {
        if (bytes.length == 0 || new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            if (required) {
                throw ApiException.malformed("the body must be a JSON object describing " + what + "; it is empty");
            }
            return new JsonBody(json, what, json.createObjectNode());
        }
        JsonNode tree;
        try {
            tree = json.readTree(bytes);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw ApiException.malformed("the body is not valid JSON: " + e.getOriginalMessage() + where);
        } catch (IOException e) {
            throw ApiException.malformed("the body cannot be read: " + e.getMessage());
        }
        if (!(tree instanceof ObjectNode object)) {
            throw ApiException.malformed("the body must be a JSON object describing " + what + ", found " + kind(tree));
        }
        return new JsonBody(json, what, object);
    }

    /**
     * Reads the body as the given record: fields it does not declare are refused, then each field is
     * checked in declaration order with the refusals of the readers below, then the mapper binds it.
     */
    <R extends Record> R read(Class<R> type) {
        RecordComponent[] components = type.getRecordComponents();
        accept(Arrays.stream(components).map(JsonBody::field).toArray(String[]::new));
        for (RecordComponent c : components) {
            check(c);
        }
        try {
            return json.treeToValue(node, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a body checked as " + type.getSimpleName() + " does not bind", e);
        }
    }

    /** {@link JsonProperty} does not target record components; it reaches the accessor. */
    private static JsonProperty property(RecordComponent c) {
        return c.getAccessor().getAnnotation(JsonProperty.class);
    }

    private static String field(RecordComponent c) {
        JsonProperty property = property(c);
        return property == null || property.value().isEmpty() ? c.getName() : property.value();
    }

    private void check(RecordComponent c) {
        String field = field(c);
        JsonProperty property = property(c);
        boolean required = property != null && property.required();
        Class<?> type = c.getType();
        if (type == String.class) {
            if (required) {
                text(field);
            } else {
                optionalText(field);
            }
        } else if (type == Boolean.class) {
            bool(field, false);
        } else if (type == Integer.class) {
            Bodies.Whole whole = c.getAnnotation(Bodies.Whole.class);
            optionalInt(field, whole.min(), whole.max());
        } else if (type == Map.class) {
            stringMap(field);
        } else if (type == List.class) {
            JsonNode v = node.get(field);
            if (required || v != null && !v.isNull()) {
                stringList(field);
            }
        } else {
            throw new IllegalArgumentException("no check for a field of type " + type.getName());
        }
    }

    /** Refuses fields that are not among those given. */
    JsonBody accept(String... fields) {
        Set<String> accepted = Set.of(fields);
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!accepted.contains(name)) {
                throw ApiException.invalid("unknown field '" + name + "' in " + what + "; accepted: " + String.join(", ", fields));
            }
        }
        return this;
    }

    String text(String field) {
        return optionalText(field).orElseThrow(() -> ApiException.invalid("field '" + field + "' is required in " + what));
    }

    Optional<String> optionalText(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw wrongType(field, "a string", v);
        }
        return Optional.of(unicode(field, v.textValue()));
    }

    boolean bool(String field, boolean absent) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isBoolean()) {
            throw wrongType(field, "true or false", v);
        }
        return v.booleanValue();
    }

    Optional<Integer> optionalInt(String field, int min, int max) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
            throw wrongType(field, "a whole number from " + min + " to " + max, v);
        }
        return Optional.of(v.intValue());
    }

    /** An object whose values are all strings; absent reads as empty. */
    Map<String, String> stringMap(String field) {
        JsonNode v = node.get(field);
        Map<String, String> map = new LinkedHashMap<>();
        if (v == null || v.isNull()) {
            return map;
        }
        if (!v.isObject()) {
            throw wrongType(field, "an object of strings", v);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw wrongType(field + "." + e.getKey(), "a string", e.getValue());
            }
            map.put(unicode(field + " key", e.getKey()), unicode(field + "." + e.getKey(), e.getValue().textValue()));
        }
        return map;
    }

    /** An array of strings; required when read here, optional fields are checked only when present. */
    List<String> stringList(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw ApiException.invalid("field '" + field + "' is required in " + what);
        }
        if (!v.isArray()) {
            throw wrongType(field, "an array of strings", v);
        }
        List<String> list = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw wrongType(field + "[" + i + "]", "a string", v.get(i));
            }
            list.add(unicode(field + "[" + i + "]", v.get(i).textValue()));
        }
        return list;
    }

    /**
     * JSON's escapes can spell half of a UTF-16 surrogate pair, which is no character at all: such
     * text is refused before it reaches a name, a label or a file.
     */
    private String unicode(String field, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw ApiException.malformed("field '" + field + "' in " + what + " is not valid Unicode: it holds"
                        + String.format(" a lone surrogate \\u%04X at character %d", (int) c, i));
            }
        }
        return text;
    }

    private ApiException wrongType(String field, String expected, JsonNode found) {
        String shown = found.toString();
        if (shown.length() > 60) {
            shown = shown.substring(0, Character.isHighSurrogate(shown.charAt(56)) ? 56 : 57) + "...";
        }
        return ApiException.invalid("field '" + field + "' in " + what + " must be " + expected + ", found " + shown);
    }

    private static String kind(JsonNode tree) {
        return tree.isArray() ? "an array" : tree.isTextual() ? "a string" : tree.isNumber() ? "a number"
                : tree.isBoolean() ? "a boolean" : "null";
    }
}
