package dev.bulkhead.api.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Makes the mappers of the platform, all configured alike, so that a state file, a request body, a
 * feature file and a runtime's answer are read by the same rules. Each call gives a new mapper, so
 * that no bundle's change of configuration reaches another; to indent, use
 * {@code writerWithDefaultPrettyPrinter()}.
 */
public final class JsonMappers {
    /** Deeper than any document the platform reads; deeper input is refused before it costs stack. */
    public static final int MAX_NESTING_DEPTH = 32;

    private JsonMappers() {
    }

    /**
     * A mapper that refuses a key given twice (rather than keeping the last one read silently),
     * anything after the one JSON value, nesting deeper than {@link #MAX_NESTING_DEPTH}, and fields a
     * record or class does not declare.
     */
    public static ObjectMapper create() {
        ObjectMapper mapper = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build());
        return mapper;
    }
}
