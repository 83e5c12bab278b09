package dev.bulkhead.backend.xen.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;

import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.Library;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.LifecycleListener;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.hypervisor.DomainStatus;

/**
 * A read-write connection to libvirt at one URI, through the libvirt Java binding (JNA over the host's
 * {@code libvirt.so.0}), with libvirt's lifecycle events delivered to a listener as they happen. Every failure is an
 * {@link AdminException} naming the URI and libvirt's reason.
 * <p>
 * Events need libvirt's event loop, which is the process's (and, the binding being embedded, this bundle's): it runs
 * on one thread while at least one connection with a listener is open, and stops with the last.
 */
final class LibvirtConnection implements AutoCloseable {
    private static final Object LOOP_LOCK = new Object();
    private static int loopUsers;
    private static Thread loopThread;

    private final String uri;
    private final Connect connect;
    private final LifecycleListener lifecycle;

    private LibvirtConnection(String uri, Connect connect, LifecycleListener lifecycle) {
        this.uri = uri;
        this.connect = connect;
        this.lifecycle = lifecycle;
    }

    /**
     * Opens the connection.
     *
     * @param events told of each domain's lifecycle event (its name and libvirt's event type), on the event loop's
     *               thread, which it must not hold up; {@code null} for none
     * @throws AdminException naming the URI, when libvirt's library cannot be loaded or the connection cannot be made
     */
    static LibvirtConnection open(String uri, Duration keepalive, int keepaliveCount, BiConsumer<String, DomainEventType> events) {
        if (events != null) {
            startLoop(uri);
        }
        Connect connect = null;
        try {
            connect = new Connect(uri, false);
            LifecycleListener lifecycle = null;
            if (events != null) {
                try {
                    connect.setKeepAlive((int) keepalive.toSeconds(), keepaliveCount);
                } catch (LibvirtException e) {
                    // A driver inside the library itself (no daemon behind it) has no keepalive, and needs none.
                    if (e.getError() == null || e.getError().getCode() != org.libvirt.Error.ErrorNumber.VIR_ERR_NO_SUPPORT) {
                        throw e;
                    }
                }
                lifecycle = (domain, event) -> {
                    try {
                        events.accept(domain.getName(), event.getType());
                    } catch (LibvirtException | RuntimeException e) {
                        // An event of a domain that is gone already: its state is read at the next look.
                    }
                    return 0;
                };
                connect.addLifecycleListener(lifecycle);
            }
            return new LibvirtConnection(uri, connect, lifecycle);
        } catch (LibvirtException e) {
            closeQuietly(connect);
            if (events != null) {
                stopLoop();
            }
            throw new AdminException("cannot connect to libvirt at " + uri + ": " + reason(e), e);
        } catch (LinkageError e) {
            if (events != null) {
                stopLoop();
            }
            throw new AdminException(libraryProblem(uri, e), e);
        }
    }

    String uri() {
        return uri;
    }

    /** Whether the connection still works (a remote one fails when its keepalive goes unanswered). */
    boolean alive() {
        try {
            return connect.isAlive();
        } catch (LibvirtException e) {
            return false;
        }
    }

    /** Defines (or redefines) a domain from its XML; returns its name as libvirt has it. */
    String define(String xml) {
        return call("define a domain", () -> {
            Domain d = connect.domainDefineXML(xml);
            try {
                return d.getName();
            } finally {
                d.free();
            }
        });
    }

    /** Starts a defined domain. */
    void start(String name) {
        onDomain(name, "start", Domain::create);
    }

    /** Asks the domain to shut down (ACPI or the PV shutdown request). */
    void shutdown(String name) {
        onDomain(name, "shut down", Domain::shutdown);
    }

    /** Stops the domain at once. */
    void destroy(String name) {
        onDomain(name, "destroy", Domain::destroy);
    }

    void suspend(String name) {
        onDomain(name, "pause", Domain::suspend);
    }

    void resume(String name) {
        onDomain(name, "unpause", Domain::resume);
    }

    /** Removes libvirt's definition of a stopped domain. */
    void undefine(String name) {
        onDomain(name, "undefine", Domain::undefine);
    }

    /** Runs calls on libvirt's connection itself (storage pools and volumes, {@link XenPool}), its failure named. */
    <T> T withConnect(String what, ConnectCall<T> call) {
        return call(what, () -> call.run(connect));
    }

    interface ConnectCall<T> {
        T run(Connect connect) throws LibvirtException;
    }

    /** Whether libvirt's error is the one numbered {@code number} (no such pool, no such volume...). */
    static boolean is(LibvirtException e, org.libvirt.Error.ErrorNumber number) {
        return e.getError() != null && e.getError().getCode() == number;
    }

    /** The domain's state, or empty when libvirt has no domain of that name. */
    Optional<PowerState> state(String name) {
        return call("read the state of '" + name + "'", () -> {
            Optional<Domain> d = lookup(name);
            if (d.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(powerState(d.get().getInfo().state));
            } finally {
                d.get().free();
            }
        });
    }

    /** Every domain libvirt has, running or only defined, but dom0. */
    List<DomainStatus> domains() {
        return call("list domains", () -> {
            List<DomainStatus> out = new ArrayList<>();
            for (int id : connect.listDomains()) {
                if (id == 0) {
                    continue;
                }
                Domain d = connect.domainLookupByID(id);
                try {
                    out.add(new DomainStatus(d.getName(), powerState(d.getInfo().state)));
                } finally {
                    d.free();
                }
            }
            for (String name : connect.listDefinedDomains()) {
                out.add(new DomainStatus(name, PowerState.Halted));
            }
            return out;
        });
    }

    static PowerState powerState(DomainState state) {
        return switch (state) {
            case VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED -> PowerState.Running;
            case VIR_DOMAIN_PAUSED -> PowerState.Paused;
            case VIR_DOMAIN_SHUTDOWN -> PowerState.Halting;
            case VIR_DOMAIN_SHUTOFF -> PowerState.Halted;
            case VIR_DOMAIN_CRASHED -> PowerState.Crashed;
            case VIR_DOMAIN_NOSTATE -> PowerState.NA;
        };
    }

    @Override
    public void close() {
        try {
            if (lifecycle != null) {
                connect.removeLifecycleListener(lifecycle);
            }
        } catch (LibvirtException e) {
            // The connection may be gone already; closing it is all that is left.
        } finally {
            closeQuietly(connect);
            if (lifecycle != null) {
                stopLoop();
            }
        }
    }

    private Optional<Domain> lookup(String name) throws LibvirtException {
        try {
            return Optional.of(connect.domainLookupByName(name));
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == org.libvirt.Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private interface DomainAction {
        void run(Domain d) throws LibvirtException;
    }

    private interface Call<T> {
        T run() throws LibvirtException;
    }

    private void onDomain(String name, String what, DomainAction action) {
        call(what + " '" + name + "'", () -> {
            Domain d = lookup(name).orElseThrow(() -> new AdminException("libvirt at " + uri + " has no domain '" + name + "'"));
            try {
                action.run(d);
                return null;
            } finally {
                d.free();
            }
        });
    }

    private <T> T call(String what, Call<T> call) {
        try {
            return call.run();
        } catch (LibvirtException e) {
            throw new AdminException("libvirt at " + uri + " cannot " + what + ": " + reason(e), e);
        }
    }

    private static String reason(LibvirtException e) {
        String message = e.getError() != null && e.getError().getMessage() != null ? e.getError().getMessage() : e.getMessage();
        return DomainValues.shown(message == null ? "no reason given" : message.strip().replace('\n', ' '), 400);
    }

    static String libraryProblem(String uri, LinkageError e) {
        return "cannot connect to libvirt at " + uri + ": libvirt's library (libvirt.so.0, Debian's libvirt0) or JNA cannot be"
                + " loaded here: " + e;
    }

    private static void closeQuietly(Connect connect) {
        if (connect == null) {
            return;
        }
        try {
            connect.close();
        } catch (LibvirtException e) {
            // Nothing is left to do with a connection that cannot close.
        }
    }

    private static void startLoop(String uri) {
        synchronized (LOOP_LOCK) {
            if (loopUsers++ > 0) {
                return;
            }
            try {
                Library.initEventLoop();
            } catch (LibvirtException e) {
                loopUsers--;
                throw new AdminException("cannot start libvirt's event loop for " + uri + ": " + reason(e), e);
            } catch (LinkageError e) {
                loopUsers--;
                throw new AdminException(libraryProblem(uri, e), e);
            }
            loopThread = new Thread(() -> {
                try {
                    Library.runEventLoop();
                } catch (LibvirtException e) {
                    // The loop ends; connections see no more events and their callers find states by looking.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "libvirt-events");
            loopThread.setDaemon(true);
            loopThread.start();
        }
    }

    private static void stopLoop() {
        synchronized (LOOP_LOCK) {
            if (--loopUsers > 0) {
                return;
            }
            Thread stopping = loopThread;
            loopThread = null;
            // Asked again until it ends: a loop thread that had not begun yet when first asked would start running after.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            try {
                while (stopping.isAlive() && System.nanoTime() < deadline) {
                    try {
                        Library.stopEventLoop();
                    } catch (LibvirtException e) {
                        stopping.interrupt();
                    }
                    stopping.join(100);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
