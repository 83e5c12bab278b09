package dev.bulkhead.api.hypervisor;

import java.util.regex.Pattern;

import dev.bulkhead.api.InvalidValueException;

/** The rules for channel service names, Qubes' rules for qrexec service names. */
public final class ServiceNames {
    /** Longest accepted name. */
    public static final int MAX_LENGTH = 48;
    private static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9._+-]+");

    private ServiceNames() {
    }

    /**
     * Checks a service name.
     *
     * @throws InvalidValueException naming the rule the name breaks
     */
    public static String validate(String service) {
        if (service == null || service.isEmpty()) {
            throw new InvalidValueException("service", String.valueOf(service), "a service name is required");
        }
        if (service.length() > MAX_LENGTH) {
            throw new InvalidValueException("service", service, "at most " + MAX_LENGTH + " characters, this has " + service.length());
        }
        if (!PATTERN.matcher(service).matches()) {
            throw new InvalidValueException("service", service, "only letters, digits, '.', '_', '+' and '-'");
        }
        // "." and ".." would name directories, not a service, where a backend keeps one file per service.
        if (service.startsWith(".")) {
            throw new InvalidValueException("service", service, "must not start with '.'");
        }
        return service;
    }
}
