package dev.bulkhead.policy.internal;

import java.util.EnumSet;
import java.util.Set;

/**
 * A qube specification in a rule or a request: a plain name or one of Qubes' {@code @} tokens. Which kinds a place
 * accepts follows qrexec: the source column, the target column, a {@code target=} or {@code default_target=}
 * redirect, and the target a caller asks for each take their own set. {@code dom0} is read as {@code @adminvm}
 * everywhere, as qrexec does.
 *
 * @param kind what it is
 * @param value the qube name, tag or class it names; empty for the tokens that name none
 */
record Token(Kind kind, String value) {
    enum Kind {
        /** {@code *}: any qube, dom0 included, and any keyword. */
        WILDCARD("*"),
        /** {@code @anyvm}: anything but dom0. */
        ANYVM("@anyvm"),
        ADMINVM("@adminvm"),
        /** {@code @default}: the caller named no target (or one that does not exist). */
        DEFAULT("@default"),
        /** {@code @dispvm}: a new disposable of the caller's {@code default_dispvm}. */
        DISPVM("@dispvm"),
        /** {@code @dispvm:@tag:TAG}: a new disposable of any disposable template with the tag. */
        DISPVM_TAG("@dispvm:@tag:"),
        /** {@code @dispvm:NAME}: a new disposable of that template. */
        DISPVM_TEMPLATE("@dispvm:"),
        TAG("@tag:"),
        TYPE("@type:"),
        NAME("");

        final String spelling;

        Kind(String spelling) {
            this.spelling = spelling;
        }

        boolean prefixed() {
            return this == DISPVM_TAG || this == DISPVM_TEMPLATE || this == TAG || this == TYPE;
        }
    }

    /** The places a token stands, each with the kinds it accepts. */
    enum Place {
        SOURCE("source", EnumSet.of(Kind.WILDCARD, Kind.ANYVM, Kind.ADMINVM, Kind.TYPE, Kind.TAG, Kind.DISPVM_TEMPLATE,
                Kind.DISPVM_TAG, Kind.NAME)),
        TARGET("target", EnumSet.of(Kind.WILDCARD, Kind.ANYVM, Kind.ADMINVM, Kind.DEFAULT, Kind.TYPE, Kind.TAG, Kind.DISPVM,
                Kind.DISPVM_TEMPLATE, Kind.DISPVM_TAG, Kind.NAME)),
        REDIRECT("redirect", EnumSet.of(Kind.ADMINVM, Kind.DISPVM, Kind.DISPVM_TEMPLATE, Kind.NAME)),
        INTENDED("intended target", EnumSet.of(Kind.ADMINVM, Kind.DEFAULT, Kind.DISPVM, Kind.DISPVM_TEMPLATE, Kind.NAME));

        final String word;
        final Set<Kind> kinds;

        Place(String word, Set<Kind> kinds) {
            this.word = word;
            this.kinds = kinds;
        }
    }

    static final Token WILDCARD = new Token(Kind.WILDCARD, "");
    static final Token ADMINVM = new Token(Kind.ADMINVM, "");
    static final Token DEFAULT = new Token(Kind.DEFAULT, "");
    static final Token DISPVM = new Token(Kind.DISPVM, "");

    /**
     * Reads a token for a place.
     *
     * @throws IllegalArgumentException naming the token and the place, when the place does not take it
     */
    static Token parse(String word, Place place) {
        String w = "dom0".equals(word) ? Kind.ADMINVM.spelling : word;
        if (!w.startsWith("@") && !w.equals("*")) {
            if (!PolicyNames.isQubeName(w)) {
                throw new IllegalArgumentException("invalid " + place.word + " '" + PolicyNames.printable(word)
                        + "': not a qube name (a letter, then letters, digits, '_', '.', '-'; at most 31) nor a token");
            }
            return new Token(Kind.NAME, w);
        }
        for (Kind k : place.kinds) {
            if (!k.prefixed() && k != Kind.NAME && k.spelling.equals(w)) {
                return new Token(k, "");
            }
        }
        // the longer prefix first: @dispvm:@tag: before @dispvm:
        for (Kind k : place.kinds) {
            if (k.prefixed() && w.startsWith(k.spelling)) {
                String value = w.substring(k.spelling.length());
                if (value.startsWith("@")) {
                    continue;
                }
                if (value.isEmpty()) {
                    throw new IllegalArgumentException("invalid empty " + k.spelling + " token in the " + place.word);
                }
                boolean ok = k == Kind.TAG || k == Kind.DISPVM_TAG ? PolicyNames.isTag(value)
                        : k == Kind.TYPE ? PolicyNames.isClass(value) : PolicyNames.isQubeName(value);
                if (!ok) {
                    throw new IllegalArgumentException("invalid " + place.word + " '" + PolicyNames.printable(word) + "': "
                            + (k == Kind.TYPE ? "the class must be AdminVM, AppVM, DispVM, StandaloneVM or TemplateVM"
                                    : "'" + PolicyNames.printable(value) + "' is no valid " + (k == Kind.TAG || k == Kind.DISPVM_TAG ? "tag" : "qube name")));
                }
                return new Token(k, value);
            }
        }
        throw new IllegalArgumentException("invalid " + place.word + " token '" + PolicyNames.printable(word) + "'");
    }

    /** As the policy files spell it ({@code dom0} reads back as {@code @adminvm}). */
    @Override
    public String toString() {
        return kind == Kind.NAME ? value : kind.spelling + value;
    }
}
