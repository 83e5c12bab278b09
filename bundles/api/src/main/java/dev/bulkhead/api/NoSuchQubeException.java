package dev.bulkhead.api;

/** The named qube does not exist. */
public class NoSuchQubeException extends AdminException {
    private static final long serialVersionUID = 1L;

    public NoSuchQubeException(String name) {
        super("no such qube: '" + name + "'");
    }
}
