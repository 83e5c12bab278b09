package dev.bulkhead.shell.internal.frontend;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Hashtable;
import java.util.List;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.Function;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Puts a {@link QvmFunction} in front of every {@code qvm:*} command, whichever bundle registers it (the shell's own,
 * a role's, the templates', the console's): each is registered as a Gogo command of the same scope and name with
 * the highest ranking, which Gogo prefers, and goes when the command goes. So that every command has
 * {@code --help} and reports failures the same way, without each bundle doing it.
 */
@Component(immediate = true)
public final class QvmFunctions {
    static final String SCOPE = "qvm";
    /** Marks the registrations made here, so that they are not wrapped again. */
    static final String FRONTEND = "bulkhead.shell.frontend";

    private final BundleContext context;
    private final ServiceTracker<Object, List<ServiceRegistration<Function>>> tracker;

    @Activate
    public QvmFunctions(BundleContext context) throws InvalidSyntaxException {
        this.context = context;
        Filter commands = FrameworkUtil.createFilter("(&(" + CommandProcessor.COMMAND_SCOPE + "=" + SCOPE + ")("
                + CommandProcessor.COMMAND_FUNCTION + "=*)(!(" + FRONTEND + "=*)))");
        this.tracker = new ServiceTracker<Object, List<ServiceRegistration<Function>>>(context, commands, null) {
            @Override
            public List<ServiceRegistration<Function>> addingService(ServiceReference<Object> reference) {
                Object target = context.getService(reference);
                return target == null ? null : front(reference, target);
            }

            @Override
            public void removedService(ServiceReference<Object> reference, List<ServiceRegistration<Function>> registrations) {
                withdraw(registrations);
                context.ungetService(reference);
            }
        };
        tracker.open();
    }

    @Deactivate
    void deactivate() {
        tracker.close();
    }

    private List<ServiceRegistration<Function>> front(ServiceReference<Object> reference, Object target) {
        List<ServiceRegistration<Function>> registrations = new ArrayList<>();
        for (String name : names(reference.getProperty(CommandProcessor.COMMAND_FUNCTION))) {
            QvmFunction function = new QvmFunction(SCOPE, name, target);
            Hashtable<String, Object> properties = new Hashtable<>();
            properties.put(CommandProcessor.COMMAND_SCOPE, SCOPE);
            properties.put(CommandProcessor.COMMAND_FUNCTION, name);
            properties.put(FRONTEND, Boolean.TRUE);
            properties.put(Constants.SERVICE_RANKING, Integer.MAX_VALUE);
            registrations.add(context.registerService(Function.class, function, properties));
        }
        return registrations;
    }

    private void withdraw(List<ServiceRegistration<Function>> registrations) {
        registrations.forEach(ServiceRegistration::unregister);
    }

    static List<String> names(Object property) {
        if (property instanceof String[] array) {
            return List.of(array);
        }
        if (property instanceof Collection<?> collection) {
            return collection.stream().map(String::valueOf).toList();
        }
        return property == null ? List.of() : List.of(String.valueOf(property));
    }
}
