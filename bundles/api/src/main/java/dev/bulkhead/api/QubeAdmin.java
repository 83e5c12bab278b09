package dev.bulkhead.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import dev.bulkhead.api.firewall.FirewallRule;

/**
 * The admin service: every operation the shell, the console and the Admin API offer. Every
 * change is validated before anything happens; a refused change throws an {@link AdminException}
 * and leaves the platform and its state file exactly as they were.
 */
@ProviderType
public interface QubeAdmin {
    /** Name of the management qube, always present with qid 0. */
    String DOM0 = "dom0";

    /** Every qube, dom0 first, then by name. */
    List<Qube> list();

    Optional<Qube> find(String name);

    /** @throws NoSuchQubeException when there is none of that name */
    Qube get(String name);

    Qube create(QubeSpec spec);

    /** Removes a halted qube and everything it had on the host. */
    void remove(String name);

    /** Creates {@code target} with the properties, features, tags and private data of {@code source}. */
    Qube clone(String source, String target);

    /** Starts the qube, and first every qube of its netvm chain that is not running. */
    void start(String name);

    /**
     * Shuts a qube down gracefully. A qube that other running qubes use as netvm refuses unless
     * {@code force}. With {@code wait}, returns when it is halted (killing it after {@code timeout}).
     */
    void shutdown(String name, boolean force, boolean wait, Duration timeout);

    void kill(String name);

    void pause(String name);

    void unpause(String name);

    /** Shuts down (waiting) and starts again. */
    void restart(String name, Duration timeout);

    /** Sets a property from its text form. */
    void setProperty(String name, String property, String value);

    /** Removes a qube's own value so that the default applies again. */
    void resetProperty(String name, String property);

    void setFeature(String name, String key, String value);

    void removeFeature(String name, String key);

    void addTag(String name, String tag);

    void removeTag(String name, String tag);

    /** Runs a command in the qube, starting it first if it is halted, and waits for it. */
    ExecResult run(String name, List<String> command, byte[] stdin, Duration timeout);

    /** The qube's firewall rules in order; the first that matches decides, and what none matches is dropped. */
    List<FirewallRule> firewallRules(String name);

    /**
     * Replaces the qube's firewall rules. They apply at once, to running qubes too: connections
     * that the new rules forbid are cut. When the qube's netvm cannot put them in force, the
     * previous rules are put back and this throws. A rule that is kept but cannot be in force as
     * written for now (a host name that does not resolve) is no refusal: {@link #firewallProblems} says so.
     */
    void setFirewallRules(String name, List<FirewallRule> rules);

    /**
     * Which of the running qube's firewall rules its netvm cannot put in force as written now, and
     * what it does instead, one sentence each: for example a rule whose host name does not resolve
     * (an accept rule then allows nothing). Empty when all are in force, or the qube is not running.
     *
     * @throws NoSuchQubeException when there is none of that name
     * @since 1.3
     */
    List<String> firewallProblems(String name);

    /**
     * The CPU time and memory a running qube uses now; empty when it is not running (dom0 included)
     * or its backend does not count them.
     *
     * @throws NoSuchQubeException when there is none of that name
     */
    Optional<QubeStats> stats(String name);

    /** What the qube's console printed, as far as the backend keeps it. */
    String consoleLog(String name);

    /** Global properties as {@code qubes-prefs} shows them ({@code default_netvm}, ...). */
    Map<String, PropertyValue> globalProperties();

    void setGlobalProperty(String property, String value);

    /** The VM roles present now (their bundles may come and go at any moment), sorted by id. */
    List<RoleInfo> roles();

    /**
     * What was wrong in the state file when it was loaded (unknown fields, qubes that could not be
     * read and are kept aside unchanged); empty when it loaded cleanly.
     */
    List<String> stateProblems();

    /** The name of the hypervisor backend in use ({@code lite}, {@code qemu}, {@code xen}). */
    String backendName();

    // ---- volumes, as qvm-volume --------------------------------------------------------------

    /** The qube's volumes: {@code root}, {@code private}, {@code volatile}; none for dom0. */
    List<VolumeInfo> volumes(String name);

    /** One volume of the qube; the error names the volumes it has. */
    VolumeInfo volume(String name, String volume);

    /**
     * Puts a halted qube's volume back to a kept revision: {@code revision} names one of
     * {@link VolumeInfo#revisions()}, or is {@code null} for the newest. The revision is used up.
     */
    void revertVolume(String name, String volume, String revision);

    /** Grows a volume to {@code sizeBytes}; a running qube sees the new size at once where the backend can. Never shrinks. */
    void resizeVolume(String name, String volume, long sizeBytes);

    /** How many earlier states of the volume are kept for revert; 0 keeps none. Fewer apply from the next start. */
    void setVolumeRevisionsToKeep(String name, String volume, int revisions);

    /**
     * Replaces the content of a halted TemplateVM's or StandaloneVM's volume with {@code content}: a
     * directory tree for the lite backend's root, an image file for VM backends. The content is
     * taken over (moved when it is on the same file system as the data directory).
     */
    void importVolume(String name, String volume, Path content);

    // ---- disposables ---------------------------------------------------------------------------

    /**
     * Creates and starts a disposable {@code disp<N>} based on {@code dispvmTemplate} (an AppVM
     * with {@code template_for_dispvms=True}; {@code null} for the global {@code default_dispvm}),
     * taking a preloaded one when the template has one ready. It is removed, with everything it
     * wrote, when it stops.
     */
    Qube createDisposable(String dispvmTemplate);

    /**
     * Runs a command in a new disposable and waits for it; the disposable is destroyed afterwards,
     * whatever the command did.
     */
    ExecResult runDisposable(String dispvmTemplate, List<String> command, byte[] stdin, Duration timeout);
}
