package dev.bulkhead.api.hypervisor;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A backend that starts programs in its running domains with their stdin, stdout and stderr as byte streams to
 * dom0: what a service called from another qube runs as (Qubes' qrexec-agent starting a service). Unlike
 * {@link HypervisorBackend#exec}, nothing is gathered: dom0 joins the streams to the caller's as the bytes come, and
 * a write to stdin waits while the program does not read.
 *
 * @since 2.3
 */
@ConsumerType
public interface DomainProcesses {
    /**
     * Starts a program in a running domain.
     *
     * @param domain the domain
     * @param user the user it runs as, by name (the domain's own {@code /etc/passwd} tells its ids and home); {@code null}
     *            for the domain's default user: {@code user} when its {@code /etc/passwd} has one, else {@code root}
     * @param command the program and its arguments; never empty
     * @param environment variables added to the program's environment ({@code HOME}, {@code USER} and {@code PATH} are
     *            set by the backend)
     * @throws dev.bulkhead.api.InvalidValueException for a bad domain name, user name or command
     * @throws dev.bulkhead.api.InvalidStateException when the domain does not run or has no such user
     * @throws dev.bulkhead.api.AdminException when the program cannot be started
     */
    DomainProcess startProcess(String domain, String user, List<String> command, Map<String, String> environment);
}
