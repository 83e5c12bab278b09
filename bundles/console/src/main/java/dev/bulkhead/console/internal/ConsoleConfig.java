package dev.bulkhead.console.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Bulkhead console",
        description = "The web console and Admin API, served on a loopback address of dom0 only")
@interface ConsoleConfig {
    String PID = "dev.bulkhead.console";

    @AttributeDefinition(description = "Address to listen on: a loopback address only (127.0.0.1, or ::1);"
            + " any other is refused and nothing listens")
    String host() default "127.0.0.1";

    @AttributeDefinition(description = "TCP port to listen on; 0 picks a free one", min = "0", max = "65535")
    int port() default 8137;

    @AttributeDefinition(description = "Minutes a console login stays valid without being used", min = "1")
    int session_idle_minutes() default 480;
}
