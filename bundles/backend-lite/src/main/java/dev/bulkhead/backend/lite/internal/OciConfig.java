package dev.bulkhead.backend.lite.internal;

import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;

/**
 * Writes the OCI runtime configuration (config.json) of a domain. The hardening follows what
 * {@code runc spec} produces: reduced capabilities, no new privileges, masked and read-only kernel paths,
 * a read-only root. The qube gets its own pid, mount, uts and ipc namespaces and joins the named network
 * namespace the backend made for it.
 */
final class OciConfig {
    /** pid 1 of every qube, run by /bin/sh; a root volume must provide both, as the built-in root does. */
    static final String INIT = "/sbin/qube-init";
    static final String PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /**
     * CAP_SETGID lets the qube's root set its groups, as programs started as root do before they run
     * a child (xterm calls initgroups before it starts its shell, and without it ends at once, showing
     * no window). Changing its user stays with network providers.
     */
    private static final List<String> CAPABILITIES = List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETGID");
    /**
     * A qube that routes for others manages its own network stack. The network capabilities reach no
     * further than its own network namespace; changing user and group lets it run its daemons (tor)
     * under a user of their own, so that its packet filter can tell their traffic from anything else.
     */
    private static final List<String> NETWORK_PROVIDER_CAPABILITIES = List.of("CAP_AUDIT_WRITE", "CAP_KILL",
            "CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_SETUID", "CAP_SETGID");
    /** The TUN device: a network provider may run a userspace tunnel (wireguard-go). */
    static final String TUN = "/dev/net/tun";
    private static final int TUN_MAJOR = 10;
    private static final int TUN_MINOR = 200;
    private static final List<String> MASKED_PATHS = List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
            "/proc/scsi");
    private static final List<String> READONLY_PATHS = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
            "/proc/sysrq-trigger");
    private static final long MIB = 1024L * 1024L;

    private final ObjectMapper json;

    OciConfig(ObjectMapper json) {
        this.json = json;
    }

    /**
     * The configuration of one domain.
     *
     * @param rootfs       the directory that becomes the qube's root
     * @param rootReadOnly whether the qube sees its root read-only
     * @param privateMount where the private volume is mounted on the host, or {@code null} for none
     * @param home         the host directory the qube sees as {@code /home}: the private volume's {@code home},
     *                     or, without a private volume, a directory of the qube's runtime ({@code null}: an empty tmpfs)
     * @param usrLocal     the host directory the qube sees as {@code /usr/local}, the private volume's
     *                     {@code usrlocal}, or {@code null}: its root's own
     * @param netns        the network namespace the qube joins
     * @param cgroupsPath  the qube's cgroup, under its instance's parent
     */
    ObjectNode forDomain(DomainSpec spec, Path rootfs, boolean rootReadOnly, Path privateMount, Path home, Path usrLocal,
            Path netns, String cgroupsPath) {
        ObjectNode config = json.createObjectNode();
        config.put("ociVersion", "1.0.2");
        config.set("process", process(spec.networkProvider() ? NETWORK_PROVIDER_CAPABILITIES : CAPABILITIES));
        ObjectNode root = config.putObject("root");
        root.put("path", rootfs.toString());
        root.put("readonly", rootReadOnly);
        config.put("hostname", spec.name());
        boolean privateReadOnly = spec.volume(VolumeSpec.PRIVATE).map(VolumeSpec::readOnly).orElse(false);
        config.set("mounts", mounts(privateMount, privateReadOnly, home, usrLocal));
        config.set("linux", linux(spec, netns, cgroupsPath));
        return config;
    }

    /** Adds a read-only bind mount of a host directory, after the mounts it lies under (as /run). */
    void bindReadOnly(ObjectNode config, Path source, String destination) {
        mount((ArrayNode) config.get("mounts"), destination, "bind", source.toString(), "bind", "ro", "nosuid", "nodev", "noexec");
    }

    byte[] toJson(ObjectNode config) {
        try {
            return json.writerWithDefaultPrettyPrinter().writeValueAsBytes(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain nodes always serializes", e);
        }
    }

    private ObjectNode process(List<String> granted) {
        ObjectNode process = json.createObjectNode();
        process.put("terminal", false);
        ObjectNode user = process.putObject("user");
        user.put("uid", 0);
        user.put("gid", 0);
        strings(process.putArray("args"), List.of("/bin/sh", INIT));
        strings(process.putArray("env"), List.of(PATH));
        process.put("cwd", "/");
        ObjectNode capabilities = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted", "ambient")) {
            strings(capabilities.putArray(set), granted);
        }
        ObjectNode nofile = process.putArray("rlimits").addObject();
        nofile.put("type", "RLIMIT_NOFILE");
        nofile.put("hard", 1024);
        nofile.put("soft", 1024);
        process.put("noNewPrivileges", true);
        return process;
    }

    private ArrayNode mounts(Path privateMount, boolean privateReadOnly, Path home, Path usrLocal) {
        ArrayNode mounts = json.createArrayNode();
        mount(mounts, "/proc", "proc", "proc");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                "gid=5");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        mount(mounts, "/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=1777");
        mount(mounts, "/run", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=755");
        if (privateMount != null) {
            String access = privateReadOnly ? "ro" : "rw";
            mount(mounts, "/rw", "bind", privateMount.toString(), "bind", access, "nosuid", "nodev");
            mount(mounts, "/home", "bind", (home == null ? privateMount.resolve(VolumeMounts.HOME) : home).toString(), "bind",
                    access, "nosuid", "nodev");
            if (usrLocal != null) {
                mount(mounts, "/usr/local", "bind", usrLocal.toString(), "bind", access, "nosuid", "nodev");
            }
        } else {
            // Nothing to keep: the qube still finds writable /rw and /home, and they vanish with it.
            mount(mounts, "/rw", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=755");
            if (home == null) {
                mount(mounts, "/home", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=755");
            } else {
                mount(mounts, "/home", "bind", home.toString(), "bind", "rw", "nosuid", "nodev");
            }
        }
        return mounts;
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
        ObjectNode mount = mounts.addObject();
        mount.put("destination", destination);
        mount.put("type", type);
        mount.put("source", source);
        if (options.length > 0) {
            strings(mount.putArray("options"), List.of(options));
        }
    }

    private ObjectNode linux(DomainSpec spec, Path netns, String cgroupsPath) {
        ObjectNode linux = json.createObjectNode();
        linux.put("cgroupsPath", cgroupsPath);
        ObjectNode resources = linux.putObject("resources");
        ArrayNode allowedDevices = resources.putArray("devices");
        ObjectNode denyDevices = allowedDevices.addObject();
        denyDevices.put("allow", false);
        denyDevices.put("access", "rwm");
        if (spec.networkProvider()) {
            ObjectNode tun = linux.putArray("devices").addObject();
            tun.put("path", TUN);
            tun.put("type", "c");
            tun.put("major", TUN_MAJOR);
            tun.put("minor", TUN_MINOR);
            tun.put("fileMode", 0600);
            tun.put("uid", 0);
            tun.put("gid", 0);
            ObjectNode allowTun = allowedDevices.addObject();
            allowTun.put("allow", true);
            allowTun.put("type", "c");
            allowTun.put("major", TUN_MAJOR);
            allowTun.put("minor", TUN_MINOR);
            allowTun.put("access", "rwm");
        }
        if (spec.memoryMiB() > 0) {
            resources.putObject("memory").put("limit", spec.memoryMiB() * MIB);
        }
        ArrayNode namespaces = linux.putArray("namespaces");
        namespaces.addObject().put("type", "pid");
        namespaces.addObject().put("type", "network").put("path", netns.toString());
        namespaces.addObject().put("type", "ipc");
        namespaces.addObject().put("type", "uts");
        namespaces.addObject().put("type", "mount");
        if (spec.networkProvider()) {
            ObjectNode sysctl = linux.putObject("sysctl");
            sysctl.put("net.ipv4.ip_forward", "1");
            sysctl.put("net.ipv6.conf.all.forwarding", "1");
        }
        strings(linux.putArray("maskedPaths"), MASKED_PATHS);
        strings(linux.putArray("readonlyPaths"), READONLY_PATHS);
        // Host mounts made later under the qube's root or volumes must not appear inside it.
        linux.put("rootfsPropagation", "rprivate");
        return linux;
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
