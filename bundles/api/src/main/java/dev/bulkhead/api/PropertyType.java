package dev.bulkhead.api;

/** The value type of a qube property, which decides how its text form is parsed. */
public enum PropertyType {
    STRING, INT, BOOL, LABEL, CLASS,
    /** The name of another qube, or empty for none. */
    QUBE
}
