package dev.bulkhead.api;

/** A {@link QubePreEventHandler} refused the request; nothing has changed. */
public class EventVetoedException extends AdminException {
    private static final long serialVersionUID = 1L;
    private final String event;
    private final String handler;
    private final String reason;

    /**
     * @param event the pre-event refused, e.g. {@code domain-pre-start}
     * @param qube the qube concerned
     * @param handler the name of the handler that refused
     * @param reason its reason
     */
    public EventVetoedException(String event, String qube, String handler, String reason) {
        super(event + " of '" + qube + "' refused by " + handler + ": " + reason);
        this.event = event;
        this.handler = handler;
        this.reason = reason;
    }

    public String event() {
        return event;
    }

    public String handler() {
        return handler;
    }

    public String reason() {
        return reason;
    }
}
