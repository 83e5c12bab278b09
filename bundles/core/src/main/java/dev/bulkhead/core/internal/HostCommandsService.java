package dev.bulkhead.core.internal;

import org.osgi.service.component.annotations.Component;

import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommandResult;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.host.ProcessHostCommands;

/**
 * Offers the platform's way of running host programs as a service, so that backends, roles and commands
 * reach it through the API alone and a test can hand them a fake instead.
 */
@Component(service = HostCommands.class)
public final class HostCommandsService implements HostCommands {
    private final HostCommands processes = new ProcessHostCommands();

    @Override
    public HostCommandResult run(HostCommand command) {
        return processes.run(command);
    }

    @Override
    public Started start(HostCommand command) {
        return processes.start(command);
    }

    @Override
    public Streaming stream(HostCommand command) {
        return processes.stream(command);
    }

    @Override
    public Piped pipe(HostCommand command) {
        return processes.pipe(command);
    }
}
