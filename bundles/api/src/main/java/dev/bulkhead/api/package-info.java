/**
 * The qube model and the admin service: what a user of Bulkhead sees, as in Qubes OS.
 * <p>
 * {@link dev.bulkhead.api.QubeAdmin} is the one service that the shell, the console and the
 * Admin API use; {@link dev.bulkhead.api.QubeEventListener} services receive the platform's events.
 */
@Export
@Version("1.3.0")
package dev.bulkhead.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
