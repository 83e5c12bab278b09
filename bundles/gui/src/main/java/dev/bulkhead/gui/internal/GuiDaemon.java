package dev.bulkhead.gui.internal;

import java.awt.Color;
import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;

import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeNames;
import dev.bulkhead.api.gui.GuiService;
import dev.bulkhead.api.gui.GuiSession;
import dev.bulkhead.api.policy.CallLog;
import dev.bulkhead.api.policy.PolicyPrompts;
import dev.bulkhead.api.policy.PromptListener;
import dev.bulkhead.api.policy.QrexecPolicy;
import dev.bulkhead.gui.protocol.GuiLimits;

/**
 * dom0's GUI daemon: one session per qube, all in this process, each on a thread of its own. A
 * qube's stream can end only its own session: the decoder is memory-safe Java that refuses the
 * first bad message, and sessions share nothing but the clipboard broker.
 */
@Component(service = GuiService.class, configurationPid = GuiConfig.PID)
@Designate(ocd = GuiConfig.class)
public final class GuiDaemon implements GuiService {
    private static final System.Logger LOG = System.getLogger(GuiDaemon.class.getName());

    private final DisplayBinding display = new DisplayBinding();
    private final Map<String, QubeGuiSession> sessions = new ConcurrentHashMap<>();
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile QrexecPolicy policy;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile PolicyPrompts prompts;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile CallLog calls;
    private final ClipboardBroker clipboard = new ClipboardBroker(new ClipboardDecision(() -> policy, () -> prompts, () -> calls));
    private volatile GuiConfig config;

    private final BundleContext context;
    private PromptDialogs dialogs;
    private ServiceRegistration<PromptListener> dialogsRegistration;

    @Activate
    public GuiDaemon(GuiConfig config, BundleContext context) {
        this.context = context;
        configure(config);
    }

    /** A daemon that registers no services: prompts get no dialog unless {@link #promptDialogs()} is told of them. */
    GuiDaemon(GuiConfig config) {
        this(config, null);
    }

    @Modified
    void configure(GuiConfig config) {
        if (config.border__width() < 1 || config.border__width() > 32) {
            throw new InvalidValueException("border_width", String.valueOf(config.border__width()), "1 to 32 pixels");
        }
        if (config.clipboard__max__bytes() < 0 || config.clipboard__max__bytes() > GuiLimits.MAX_CLIPBOARD_BYTES) {
            throw new InvalidValueException("clipboard_max_bytes", String.valueOf(config.clipboard__max__bytes()),
                    "0 to " + GuiLimits.MAX_CLIPBOARD_BYTES);
        }
        ClipboardPolicy policy = ClipboardPolicy.parse(config.clipboard__deny());
        clipboard.configure(policy, config.clipboard__max__bytes());
        this.config = config;
        showPrompts(hasDisplay(config.display()));
    }

    private static boolean hasDisplay(String display) {
        return display != null && !display.isBlank() && !display.equals("none");
    }

    /**
     * With a dom0 display, prompts are shown there as dialogs: a {@link PromptListener} is registered (with no
     * display, none, and prompts are answered in the console or the shell).
     */
    private synchronized void showPrompts(boolean show) {
        if (show && dialogs == null) {
            dialogs = new PromptDialogs(() -> display.bind(this.config.display()), () -> prompts);
            if (context != null) {
                dialogsRegistration = context.registerService(PromptListener.class, dialogs, null);
            }
        } else if (!show && dialogs != null) {
            if (dialogsRegistration != null) {
                dialogsRegistration.unregister();
                dialogsRegistration = null;
            }
            dialogs.close();
            dialogs = null;
        }
    }

    /** The prompt dialogs on dom0's display, when there is one. */
    synchronized Optional<PromptDialogs> promptDialogs() {
        return Optional.ofNullable(dialogs);
    }

    @Deactivate
    void stop() {
        try {
            showPrompts(false);
        } catch (IllegalStateException e) {
            LOG.log(System.Logger.Level.DEBUG, "the prompt dialogs' registration ended with the bundle", e);
        }
        new ArrayList<>(sessions.values()).forEach(QubeGuiSession::close);
    }

    @Override
    public synchronized GuiSession attach(String qube, Label label, ByteChannel channel) {
        try {
            QubeNames.validate(qube);
            display.bind(config.display());
            QubeGuiSession session = new QubeGuiSession(qube, Color.decode(label.color()), config.border__width(), channel,
                    clipboard);
            QubeGuiSession previous = sessions.get(qube);
            if (previous != null && previous.isOpen()) {
                throw new InvalidStateException("qube " + qube + " already has a GUI session");
            }
            sessions.put(qube, session);
            session.start();
            return session;
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    @Override
    public Optional<GuiSession> session(String qube) {
        return Optional.ofNullable(sessions.get(qube));
    }

    @Override
    public List<GuiSession> sessions() {
        return List.copyOf(sessions.values());
    }

    /** The clipboard transfers so far, as logged. */
    List<ClipboardBroker.Transfer> clipboardTransfers() {
        return clipboard.transfers();
    }

    /** Whether {@code clipboard_deny} lets {@code source}'s clipboard be pasted into {@code target} (the policy decides next). */
    boolean clipboardAllows(String source, String target) {
        return clipboard.allows(source, target);
    }

    private static void closeQuietly(ByteChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing a refused GUI stream", e);
        }
    }
}
