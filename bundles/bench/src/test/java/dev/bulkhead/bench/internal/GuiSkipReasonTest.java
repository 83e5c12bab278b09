package dev.bulkhead.bench.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;

import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

import dev.bulkhead.api.gui.GuiService;

/** The GUI figures are measured when dom0's GUI daemon is registered, and left out saying why when it is not. */
class GuiSkipReasonTest {
    @Test
    void theGuiFiguresRunWhenTheGuiDaemonIsRegisteredUnderItsApiName() {
        assertEquals("", BenchCommand.guiSkipReason(context(GuiService.class.getName()), "", ":7"));
    }

    @Test
    void withoutTheGuiDaemonTheyAreLeftOutSayingWhy() {
        assertEquals("the gui feature is not installed (feature:install gui)", BenchCommand.guiSkipReason(context(), "", ":7"));
        assertEquals("no dom0 display was given (--gui-display)", BenchCommand.guiSkipReason(context(GuiService.class.getName()), "", ""));
        assertEquals("no Xvfb here", BenchCommand.guiSkipReason(context(GuiService.class.getName()), "no Xvfb here", ":7"));
    }

    /** A framework in which services of the given classes, and only those, are registered. */
    private static BundleContext context(String... registered) {
        ServiceReference<?> reference = (ServiceReference<?>) Proxy.newProxyInstance(ServiceReference.class.getClassLoader(),
                new Class<?>[] { ServiceReference.class }, (p, m, a) -> null);
        return (BundleContext) Proxy.newProxyInstance(BundleContext.class.getClassLoader(), new Class<?>[] { BundleContext.class },
                (p, m, a) -> {
                    if (!m.getName().equals("getServiceReference")) {
                        throw new UnsupportedOperationException(m.getName());
                    }
                    String name = a[0] instanceof Class<?> c ? c.getName() : (String) a[0];
                    return java.util.List.of(registered).contains(name) ? reference : null;
                });
    }
}
