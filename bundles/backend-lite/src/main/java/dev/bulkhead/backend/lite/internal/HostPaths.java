package dev.bulkhead.backend.lite.internal;

import java.nio.file.Path;

/**
 * The host's kernel interfaces this backend reads directly: named network namespaces, cgroups, processes, block devices;
 * and where it keeps the domains' channel sockets: under /run, short enough for a unix socket's address and gone at reboot.
 */
record HostPaths(Path netnsDirectory, Path cgroupRoot, Path proc, Path sysBlock, Path channelRoot) {
    static HostPaths system() {
        return new HostPaths(Path.of("/run/netns"), Path.of("/sys/fs/cgroup"), Path.of("/proc"), Path.of("/sys/block"),
                Path.of("/run/bulkhead"));
    }
}
