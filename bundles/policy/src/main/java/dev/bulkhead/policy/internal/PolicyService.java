package dev.bulkhead.policy.internal;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.policy.PolicyDecision;
import dev.bulkhead.api.policy.PolicyRequest;
import dev.bulkhead.api.policy.PolicyRule;
import dev.bulkhead.api.policy.PolicyStatus;
import dev.bulkhead.api.policy.PolicySyntaxException;
import dev.bulkhead.api.policy.QrexecPolicy;

/**
 * The qrexec policy service. The rules in force are one immutable snapshot, replaced whole by a load that succeeds:
 * an evaluation sees the old rules or the new, never a mix, and a refused load leaves the old ones. The directory is
 * read at activation, when the configuration changes and on {@link #reload()} ({@code qvm:policy reload}); it is not
 * watched, so that a half-edited file never takes effect. A policy refused at activation leaves no rules, which denies
 * every call.
 */
@Component(configurationPid = PolicyConfig.PID)
@Designate(ocd = PolicyConfig.class)
public final class PolicyService implements QrexecPolicy {
    static final String ETC_PROPERTY = "bulkhead.etc";
    static final String POLICY_DIRECTORY = "policy.d";
    private static final System.Logger LOG = System.getLogger(PolicyService.class.getName());

    /** The rules in force, where they came from, and the outcome of the last load. */
    private record State(Path directory, List<Rule> rules, List<String> files, Instant loaded, String problem) {
    }

    private final BundleContext context;
    private final QubeAdmin admin;
    /** The directory reload reads: the configured one, even while rules from another stay in force. */
    private volatile Path configured;
    private volatile State state;

    @Activate
    public PolicyService(BundleContext context, @Reference QubeAdmin admin, PolicyConfig config) {
        this.context = context;
        this.admin = admin;
        this.configured = directory(config);
        this.state = new State(configured, List.of(), List.of(), Instant.now(), null);
        loadLogging();
    }

    @Modified
    void modified(PolicyConfig config) {
        configured = directory(config);
        loadLogging();
    }

    private void loadLogging() {
        try {
            load();
        } catch (PolicySyntaxException e) {
            LOG.log(System.Logger.Level.WARNING, "qrexec policy refused, " + state.rules().size() + " rules stay in force: " + e.getMessage());
        }
    }

    @Override
    public PolicyDecision evaluate(PolicyRequest request) {
        State s = state;
        String global = globalDefaultDispvm();
        return PolicyEvaluator.evaluate(s.rules(), SystemInfo.of(admin.list(), global), request);
    }

    private String globalDefaultDispvm() {
        PropertyValue v = admin.globalProperties().get("default_dispvm");
        return v == null ? null : v.value();
    }

    @Override
    public List<PolicyRule> rules() {
        return state.rules().stream().map(Rule::origin).toList();
    }

    @Override
    public PolicyStatus status() {
        State s = state;
        return new PolicyStatus(configured.toString(), s.files(), s.rules().size(), s.loaded(), s.problem());
    }

    @Override
    public PolicyStatus reload() {
        load();
        return status();
    }

    private synchronized void load() {
        State old = state;
        Path dir = configured;
        try {
            PolicyFiles.Loaded loaded = PolicyFiles.load(dir);
            state = new State(dir, loaded.rules(), loaded.files(), Instant.now(), null);
            LOG.log(System.Logger.Level.INFO, "qrexec policy: " + loaded.rules().size() + " rules from " + loaded.files().size()
                    + " files in " + dir);
        } catch (PolicySyntaxException e) {
            state = new State(old.directory(), old.rules(), old.files(), old.loaded(), e.getMessage());
            throw e;
        }
    }

    /** The configured directory, else policy.d of the platform's etc directory. */
    private Path directory(PolicyConfig config) {
        if (!config.directory().isBlank()) {
            return Path.of(config.directory()).toAbsolutePath();
        }
        String etc = context.getProperty(ETC_PROPERTY);
        if (etc == null || etc.isBlank()) {
            String home = context.getProperty("bulkhead.home");
            etc = Path.of(home == null || home.isBlank() ? "." : home, "etc").toString();
        }
        return Path.of(etc, POLICY_DIRECTORY).toAbsolutePath();
    }
}
