package dev.bulkhead.core.internal;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * The JSON form of the state file, {@code qubes.json}, as records that Jackson reads and writes.
 * What each value means, and which are valid, is {@link StateStore}'s business.
 */
final class StateFile {
    /** The format these records write. */
    static final int VERSION = 1;

    private StateFile() {
    }

    /**
     * The whole file. It is read with each entry of {@code qubes} a JSON tree, so that one that
     * cannot be read is kept aside alone; it is written with {@link Qube} entries and, as they were
     * read, the entries kept aside.
     */
    @JsonPropertyOrder({ "version", "global", "qubes" })
    record Root<Q>(int version, Map<String, String> global, List<Q> qubes) {
    }

    /** One qube; a qube that never had its firewall set has none, and one without volume settings no volumes. */
    @JsonPropertyOrder({ "name", "qid", "klass", "properties", "features", "tags", "firewall", "volumes" })
    record Qube(String name, Integer qid, String klass, Map<String, String> properties, Map<String, String> features,
            List<String> tags, @JsonInclude(JsonInclude.Include.NON_NULL) List<String> firewall,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Volume> volumes) {
    }

    /** A volume's own settings; one not set is left out. */
    @JsonPropertyOrder({ "size", "revisions_to_keep" })
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Volume(Long size, @JsonProperty("revisions_to_keep") Integer revisionsToKeep) {
    }
}
