package dev.bulkhead.api.role;

import dev.bulkhead.api.hypervisor.LinkEndpoint;

/**
 * A VM role, registered as a service by a role bundle. The core calls it for every running qube
 * whose {@value #ROLE_FEATURE} feature names {@link #id()}. A qube whose role is not registered does
 * not start, and a running one is stopped when its role leaves: its clients lose their network
 * rather than being routed around it.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface QubeRole {
    /** The qube feature that names the role a qube carries. */
    String ROLE_FEATURE = "role";

    /** The role's id, e.g. {@code netvm} or {@code firewall}; what the feature holds. */
    String id();

    /** One line for listings. */
    String description();

    /** Whether qubes carrying this role give network to other qubes (their {@code provides_network}). */
    boolean providesNetwork();

    /** The qube has started; set it up. Throwing stops the qube again. */
    void started(RoleContext context);

    /**
     * The qube was already running when the core took it over, after the platform or its backend
     * restarted: bring what the role keeps in it back to what {@link #started} makes, without
     * stopping it. The core then calls {@link #clientAttached} for each running client. Throwing
     * stops the qube. By default this calls {@link #started}, which must then be safe to call again
     * on a qube it already set up.
     *
     * @since 1.2
     */
    default void adopted(RoleContext context) {
        started(context);
    }

    /** The qube is about to stop. */
    void stopping(RoleContext context);

    /** A client's link to this qube is up. Throwing detaches the client again. */
    void clientAttached(RoleContext context, LinkEndpoint link);

    /** A client's link is gone. */
    void clientDetached(RoleContext context, LinkEndpoint link);

    /**
     * Something that decides how a client's traffic is handled changed, e.g. its firewall rules.
     * The core calls it holding none of its locks, after the change is saved. Throwing says the
     * role could not put the change in force: the core then puts the previous state back.
     */
    void clientChanged(RoleContext context, LinkEndpoint link);

    /**
     * What of the client's settings the role cannot put in force as they are written now, and how
     * it keeps the client's traffic meanwhile, one sentence each; empty when all is in force. For
     * example a firewall rule whose host name does not resolve, which then allows nothing. The role
     * answers from what it knows: it must not wait for anything outside.
     *
     * @since 1.3
     */
    default java.util.List<String> clientProblems(RoleContext context, LinkEndpoint link) {
        return java.util.List.of();
    }

    /**
     * What keeps the role from serving its qubes as people would expect, as configured now, one
     * sentence each for the shell and the console: a NetVM with no uplink configured, say, whose
     * clients then reach nothing. Empty when nothing does. The role answers from what it knows: it
     * must not wait for anything outside.
     *
     * @since 1.4
     */
    default java.util.List<String> notices() {
        return java.util.List.of();
    }
}
