package dev.bulkhead.api.policy;

import java.util.Objects;

/**
 * One rule as it stands in a policy file.
 *
 * @param file the file, relative to the policy directory ({@code 90-default.policy}, {@code include/extra})
 * @param line the line number in that file, from 1
 * @param text the rule's text, with its words separated by single spaces
 */
public record PolicyRule(String file, int line, String text) {
    public PolicyRule {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(text, "text");
    }

    /** {@code file:line: text}, as {@code qvm:policy} prints it. */
    @Override
    public String toString() {
        return file + ":" + line + ": " + text;
    }
}
