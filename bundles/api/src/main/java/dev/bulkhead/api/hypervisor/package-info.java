/**
 * The hypervisor SPI: what a backend bundle (lite, qemu, xen) implements so that the core can run
 * qubes on it. Role logic never depends on the backend; it talks to qubes through this SPI.
 * <p>
 * {@link dev.bulkhead.api.hypervisor.HypervisorBackend} holds what every backend must do; each
 * optional ability is an interface of its own that a backend implements or not
 * ({@link dev.bulkhead.api.hypervisor.DomainLinking}, {@link dev.bulkhead.api.hypervisor.DomainUplinking},
 * {@link dev.bulkhead.api.hypervisor.VolumeStoring}, {@link dev.bulkhead.api.hypervisor.ExitNotifying},
 * {@link dev.bulkhead.api.hypervisor.LeftoverReconciling}, {@link dev.bulkhead.api.hypervisor.UsageCounting},
 * {@link dev.bulkhead.api.hypervisor.DomainChannels}, {@link dev.bulkhead.api.hypervisor.DomainProcesses}),
 * so that a new ability is a new interface and no backend has to pretend to one it lacks.
 * <p>
 * 2.0: the optional abilities left {@code HypervisorBackend} (where they were default methods that
 * threw) for those interfaces. Backends implement this package's interfaces, so removing methods
 * from one is a major change for them: a backend built against 1.x must be built again. So must a
 * role built against 1.x, whose import range ends below 2.0 although the link types it uses did not
 * change.
 * <p>
 * 2.1: {@link dev.bulkhead.api.hypervisor.DomainChannels}, byte streams between dom0 and an agent in a qube,
 * which finds its end as a unix socket or as a character device.
 * <p>
 * 2.2: {@link dev.bulkhead.api.hypervisor.ChannelSocket}, dom0's listening unix socket of a channel, which backends
 * whose channels are reached through unix sockets share, and {@link dev.bulkhead.api.hypervisor.ConsoleLogs}, how
 * backends read the end of a domain's console log.
 * <p>
 * 2.3: {@link dev.bulkhead.api.hypervisor.DomainProcesses}, a program started in a domain as a given user with its
 * stdin, stdout and stderr as byte streams to dom0, its exit status and a kill: how a service called from another qube
 * runs.
 * <p>
 * 2.4: {@link dev.bulkhead.api.hypervisor.DomainSpec#virtMode()} and {@link dev.bulkhead.api.hypervisor.BootImages}, qubes
 * that boot an operating system of their own through the domain's firmware, with no agent.
 */
@Export
@Version("2.4.0")
package dev.bulkhead.api.hypervisor;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
