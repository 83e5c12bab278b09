package dev.bulkhead.api.policy;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The policy in force and the last attempt to load one.
 *
 * @param directory the policy directory ({@code etc/policy.d})
 * @param files the files the rules in force came from, in the order they were read, relative to the directory
 * @param rules how many rules are in force
 * @param loaded when the rules in force were loaded
 * @param problem why the last load was refused (a {@link PolicySyntaxException}'s message); {@code null} when it
 *            succeeded
 */
public record PolicyStatus(String directory, List<String> files, int rules, Instant loaded, String problem) {
    public PolicyStatus {
        Objects.requireNonNull(directory, "directory");
        files = List.copyOf(files);
        Objects.requireNonNull(loaded, "loaded");
    }
}
