package dev.bulkhead.api;

/** A value that breaks a rule: a name, a property value, a label, a class. */
public class InvalidValueException extends AdminException {
    private static final long serialVersionUID = 1L;
    private final String subject;
    private final String value;

    /**
     * @param subject what was being set ({@code name}, {@code memory}, ...)
     * @param value the refused value, as given
     * @param accepted what would be accepted, in words
     */
    public InvalidValueException(String subject, String value, String accepted) {
        super("invalid " + subject + " '" + value + "': " + accepted);
        this.subject = subject;
        this.value = value;
    }

    public String subject() {
        return subject;
    }

    public String value() {
        return value;
    }
}
