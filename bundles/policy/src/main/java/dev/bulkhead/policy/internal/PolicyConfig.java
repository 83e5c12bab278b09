package dev.bulkhead.policy.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Bulkhead qrexec policy",
        description = "Where the qrexec policy files are read from. The files are read when the platform starts, when this"
                + " changes, and on qvm:policy reload; editing a file changes nothing until then.")
@interface PolicyConfig {
    String PID = "dev.bulkhead.policy";

    @AttributeDefinition(description = "The policy directory, whose *.policy files are read in lexical order; empty:"
            + " policy.d in the platform's etc directory (framework property bulkhead.etc, else bulkhead.home/etc)")
    String directory() default "";
}
