package dev.bulkhead.policy.internal;

import java.util.Set;
import java.util.regex.Pattern;

/** The character rules of qrexec names, and how a hostile value is shown in a message. */
final class PolicyNames {
    /** Longest service name with its argument, as qrexec bounds a call's name. */
    static final int MAX_SERVICE_LENGTH = 64;
    /** Longest value shown in a message; the rest is cut. */
    private static final int SHOWN = 64;
    /** qrexec's RPCNAME_ALLOWED_CHARSET. */
    private static final Pattern RPC_CHARS = Pattern.compile("[A-Za-z0-9_.+-]*");
    private static final Pattern QUBE_NAME = Pattern.compile("[a-zA-Z][a-zA-Z0-9_.-]{0,30}");
    private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    private static final Set<String> CLASSES = Set.of("AdminVM", "AppVM", "DispVM", "StandaloneVM", "TemplateVM");

    private PolicyNames() {
    }

    static boolean isQubeName(String s) {
        return QUBE_NAME.matcher(s).matches();
    }

    static boolean isTag(String s) {
        return TAG.matcher(s).matches();
    }

    static boolean isClass(String s) {
        return CLASSES.contains(s);
    }

    /** Characters of a service or an argument that qrexec refuses, or null when there are none. */
    static String invalidCharacters(String s, boolean plusAllowed) {
        StringBuilder bad = new StringBuilder();
        s.codePoints().filter(c -> !(c < 128 && RPC_CHARS.matcher(Character.toString(c)).matches()) || (c == '+' && !plusAllowed))
                .distinct().sorted().limit(8).forEach(c -> bad.append(bad.isEmpty() ? "" : ", ").append('\'')
                        .append(printable(Character.toString(c))).append('\''));
        return bad.isEmpty() ? null : bad.toString();
    }

    /** The value as a message may show it: control and format characters as '?', cut after {@value #SHOWN} characters. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(SHOWN).forEach(c -> {
            int type = Character.getType(c);
            boolean hidden = Character.isISOControl(c) || type == Character.FORMAT || type == Character.SURROGATE
                    || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR || type == Character.UNASSIGNED
                    || type == Character.PRIVATE_USE;
            b.appendCodePoint(hidden ? '?' : c);
        });
        return s.codePointCount(0, s.length()) > SHOWN ? b + "..." : b.toString();
    }
}
