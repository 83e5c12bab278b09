package dev.bulkhead.core.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Bulkhead core", description = "Qube registry and lifecycle")
@interface CoreConfig {
    String PID = "dev.bulkhead.core";

    @AttributeDefinition(description = "Hypervisor backend: auto (the best one this host supports), lite, qemu or xen")
    String backend() default "auto";

    @AttributeDefinition(description = "Seconds a qube is given to shut down before it is killed", min = "1")
    int shutdown_timeout() default 10;

    @AttributeDefinition(description = "Seconds a qube found running when the platform starts waits for its role to be"
            + " installed again; then it is stopped, so its clients are cut off", min = "0")
    int adopted_role_wait() default 30;
}
