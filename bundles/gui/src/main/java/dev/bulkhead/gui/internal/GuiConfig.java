package dev.bulkhead.gui.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import dev.bulkhead.gui.protocol.GuiLimits;

// A double underscore in a name is one underscore in the property: border_width, clipboard_max_bytes.
@ObjectClassDefinition(name = "Bulkhead GUI daemon",
        description = "Shows the windows of qubes with gui=1 on dom0's display, framed in their label colour.")
@interface GuiConfig {
    String PID = "dev.bulkhead.gui";

    @AttributeDefinition(description = "dom0's X display, e.g. :0. Empty or none: GUI qubes are refused. The display is bound"
            + " at the first GUI session; another display then needs a restart of Bulkhead.", required = false)
    String display() default "";

    @AttributeDefinition(description = "Width in pixels of the frame in the qube's label colour around each of its windows",
            min = "1", max = "32")
    int border__width() default 2;

    @AttributeDefinition(description = "Largest clipboard transfer between qubes, in bytes", min = "0",
            max = "" + GuiLimits.MAX_CLIPBOARD_BYTES)
    int clipboard__max__bytes() default 65000;

    @AttributeDefinition(description = "Clipboard pastes to refuse, each SOURCE:TARGET, * for any qube (e.g. work:*),"
            + " whatever the qrexec policy says; every other paste is the policy's call qubes.ClipboardPaste SOURCE -> TARGET"
            + " (allow, deny, or ask the user), refused while there is no policy service", required = false)
    String[] clipboard__deny() default {};
}
