package dev.bulkhead.role.tor.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Bulkhead TorVM role",
        description = "The tor that runs in every qube with feature role=tor. Changes apply when a TorVM starts.")
@interface TorConfig {
    String PID = "dev.bulkhead.role.tor";

    @AttributeDefinition(description = "Tor bridges to enter the Tor network through, comma separated, each IPv4:PORT with an"
            + " optional 40-hex-digit fingerprint (e.g. 203.0.113.30:443 0123456789ABCDEF0123456789ABCDEF01234567);"
            + " empty: tor reaches the Tor network directly")
    String bridges() default "";

    @AttributeDefinition(description = "How often, in seconds, each running TorVM's bootstrap and circuits are read into its"
            + " features tor.state, tor.bootstrap and tor.circuits", min = "1")
    int status_interval() default 10;
}
