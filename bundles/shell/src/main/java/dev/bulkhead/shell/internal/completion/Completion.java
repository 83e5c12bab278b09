package dev.bulkhead.shell.internal.completion;

/**
 * One word the shell may offer: {@code value}, with what it is, and whether the word is whole (a space follows)
 * or goes on ({@code dsthost=}, {@code work:}).
 */
public record Completion(String value, String description, boolean whole) {
    static Completion word(String value, String description) {
        return new Completion(value, description, true);
    }

    static Completion prefix(String value, String description) {
        return new Completion(value, description, false);
    }
}
