/**
 * The qube model and the admin service: what a user of Bulkhead sees, as in Qubes OS.
 * <p>
 * {@link dev.bulkhead.api.QubeAdmin} is the one service that the shell, the console and the
 * Admin API use; {@link dev.bulkhead.api.QubeEventListener} services receive the platform's events;
 * {@link dev.bulkhead.api.QubePreEventHandler} services may refuse a start, a shutdown or a change before it happens.
 * <p>
 * 1.7: {@link dev.bulkhead.api.QubeProperty#VIRT_MODE}, how a StandaloneVM boots ({@code pvh} or {@code hvm}).
 */
@Export
@Version("1.7.0")
package dev.bulkhead.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
