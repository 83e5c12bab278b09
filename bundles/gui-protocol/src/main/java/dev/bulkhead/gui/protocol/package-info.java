/**
 * The GUI protocol between dom0's GUI daemon and the agent inside a qube, in the spirit of Qubes'
 * {@code qubes-gui-protocol.h}: a fixed-size header (type, window, payload length) and a payload
 * whose size each type bounds.
 * <p>
 * {@link dev.bulkhead.gui.protocol.MessageReader} decodes one direction of a stream; read from a
 * qube, it treats every byte as hostile and ends with a
 * {@link dev.bulkhead.gui.protocol.GuiProtocolException} naming the first violation.
 * {@link dev.bulkhead.gui.protocol.MessageWriter} encodes. Keys travel as X keysyms, so dom0's and
 * a qube's keymaps need not agree.
 */
@Export
@Version("1.0.0")
package dev.bulkhead.gui.protocol;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
