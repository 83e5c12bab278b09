package dev.bulkhead.role.firewall.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Bulkhead FirewallVM role",
        description = "How each FirewallVM keeps the host names of its clients' firewall rules resolved, in the background.")
@interface FirewallConfig {
    String PID = "dev.bulkhead.role.firewall";
    long MAX_SECONDS = 86_400;

    @AttributeDefinition(description = "Seconds after which a host name that resolved is looked up again, 1 to 86400")
    long dns_refresh() default 300;

    @AttributeDefinition(description = "Seconds after which a host name that did not resolve is looked up again, 1 to 86400;"
            + " until it resolves, its rules allow nothing")
    long dns_retry() default 10;
}
