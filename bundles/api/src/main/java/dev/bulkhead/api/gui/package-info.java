/**
 * dom0's GUI as a service, for whoever shows what qubes have on screen (the shell, the console):
 * {@link dev.bulkhead.api.gui.GuiService} holds one {@link dev.bulkhead.api.gui.GuiSession} per qube,
 * whose {@link dev.bulkhead.api.gui.GuiWindow}s are that qube's windows as dom0 knows them;
 * {@link dev.bulkhead.api.gui.GuiFeature} says which qubes have a display. The GUI daemon bundle
 * provides the service; it may be absent, so consumers reference it optionally and dynamically.
 */
@Export
@Version("1.0.0")
package dev.bulkhead.api.gui;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
