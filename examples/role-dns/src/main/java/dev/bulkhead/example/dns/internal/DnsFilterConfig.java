package dev.bulkhead.example.dns.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Bulkhead example: DNS filter role",
        description = "What the qubes with feature role=dns-filter answer with NXDOMAIN. One list for every such qube;"
                + " a change applies to running ones at once. A list with an entry that is not a domain name gives"
                + " their clients no DNS at all until it is corrected.")
@interface DnsFilterConfig {
    String PID = "dev.bulkhead.example.dns";

    @AttributeDefinition(description = "Domain names to block, comma separated, e.g. ads.test, tracker.test; each"
            + " blocks the name and every name under it")
    String block() default "";
}
