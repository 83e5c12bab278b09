/**
 * dom0's GUI daemon as a service: a qube's GUI stream is attached as a {@link dev.bulkhead.gui.GuiSession},
 * whose windows the shell and the console list.
 */
@Export
@Version("1.0.0")
package dev.bulkhead.gui;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
