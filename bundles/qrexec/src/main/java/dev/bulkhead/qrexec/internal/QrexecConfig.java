package dev.bulkhead.qrexec.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Bulkhead qrexec daemon",
        description = "Calls between qubes: how long a call may wait for the user's answer to the policy's ask, how many"
                + " calls one qube may have at once, and how long its request may take to arrive.")
@interface QrexecConfig {
    String PID = "dev.bulkhead.qrexec";

    @AttributeDefinition(description = "Seconds a call waits for the user's answer to an ask before it is denied")
    int askTimeoutSeconds() default 60;

    @AttributeDefinition(description = "Calls one qube may have open at once, as caller; more wait until one ends")
    int maxCallsPerQube() default 16;

    @AttributeDefinition(description = "Milliseconds a caller has to send its whole request once connected; a slower one"
            + " is disconnected")
    int headerTimeoutMillis() default 5000;

    @AttributeDefinition(description = "Bytes of a service's stderr kept for dom0's log, per call; the rest is dropped")
    int stderrLogBytes() default 4096;

    @AttributeDefinition(description = "Seconds a call waits for the target's qrexec agent to connect when its backend"
            + " has no other way to start a service (qemu), and for the agent to start it")
    int agentWaitSeconds() default 60;

    @AttributeDefinition(description = "Milliseconds after a qube's start during which a call waits for its qrexec agent"
            + " when the backend could start the service itself (lite); later, a qube without an agent gets the backend's way")
    int agentGraceMillis() default 5000;
}
