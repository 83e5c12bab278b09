package dev.bulkhead.policy.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Bulkhead policy prompts",
        description = "The questions the policy's ask puts to the user, in the console and on dom0's display.")
@interface PromptConfig {
    String PID = "dev.bulkhead.policy.prompts";

    @AttributeDefinition(description = "How many prompts one calling qube may have waiting at once (1 to 100); a further"
            + " call that asks is denied at once and logged, so that a qube cannot flood the user with questions")
    int max_pending_per_source() default 3;
}
