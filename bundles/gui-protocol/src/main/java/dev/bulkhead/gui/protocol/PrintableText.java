package dev.bulkhead.gui.protocol;

/** Cuts text from a qube down to what dom0 may show: printable characters only, of bounded length. */
public final class PrintableText {
    private PrintableText() {
    }

    /**
     * {@code text} without control, format (such as right-to-left overrides), private-use,
     * unassigned or surrogate characters, and at most {@code maxCodePoints} code points long.
     */
    public static String cut(String text, int maxCodePoints) {
        StringBuilder out = new StringBuilder();
        int kept = 0;
        for (int i = 0; i < text.length() && kept < maxCodePoints; ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (printable(cp)) {
                out.appendCodePoint(cp);
                kept++;
            }
        }
        return out.toString();
    }

    private static boolean printable(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE, Character.SURROGATE, Character.UNASSIGNED,
                    Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> false;
            default -> cp != 0xfffd;
        };
    }
}
