package dev.bulkhead.policy.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Bulkhead call log",
        description = "The calls between qubes kept in memory for the console and qvm:policy log; each is also one line of the platform log.")
@interface CallLogConfig {
    String PID = "dev.bulkhead.policy.calls";

    @AttributeDefinition(description = "How many of the latest calls are kept in memory (1 to 100000); older ones are dropped")
    int size() default 1000;
}
