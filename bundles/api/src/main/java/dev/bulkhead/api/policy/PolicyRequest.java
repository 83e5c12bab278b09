package dev.bulkhead.api.policy;

import java.util.Objects;

/**
 * A call to decide on, as the calling qube asked for it.
 *
 * @param service the service name, without argument ({@code qubes.Filecopy})
 * @param argument the argument with its leading {@code +}; {@code +} alone when there is none
 * @param source the calling qube's name ({@code dom0} for dom0)
 * @param target the target as asked: a qube name, {@code dom0}, {@code @adminvm}, {@code @dispvm},
 *            {@code @dispvm:NAME}, or {@code @default} (the empty string means the same)
 */
public record PolicyRequest(String service, String argument, String source, String target) {
    public PolicyRequest {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(argument, "argument");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
    }

    /**
     * A request from its command-line form: {@code SERVICE} or {@code SERVICE+ARGUMENT}, the source and the target.
     * The service is split at its first {@code +}.
     */
    public static PolicyRequest of(String serviceAndArgument, String source, String target) {
        int plus = serviceAndArgument.indexOf('+');
        return plus < 0 ? new PolicyRequest(serviceAndArgument, "+", source, target)
                : new PolicyRequest(serviceAndArgument.substring(0, plus), serviceAndArgument.substring(plus), source, target);
    }
}
