package dev.bulkhead.role.tor.internal;

import dev.bulkhead.api.role.QubePrograms;

/**
 * Where tor lives inside a TorVM and whom it runs as.
 *
 * @param binary        the tor program
 * @param runDirectory  scratch space for this run: torrc, log, pid and control password; gone at shutdown
 * @param dataDirectory tor's state (guards, consensus), kept on the private volume across restarts
 * @param user          the user tor runs as: the packet filter lets out this user's traffic and no one else's
 */
record TorLayout(String binary, String runDirectory, String dataDirectory, String user) {
    /** Inside a TorVM of the lite backend's built-in root: /run is a tmpfs, /rw the private volume. */
    static final TorLayout QUBE = new TorLayout("/usr/bin/tor", "/run/tor", "/rw/tor", "tor");
    static final int TRANS_PORT = 9040;
    static final int DNS_PORT = 5353;
    static final int CONTROL_PORT = 9051;

    /** What a TorVM runs in its root, and the user tor runs as; named when a command fails for want of one. */
    QubePrograms programs() {
        return QubePrograms.of(binary, "tor", "nft", "nftables").andUser(user, "the TorVM runs tor as it, and its packet filter names it");
    }

    String torrc() {
        return runDirectory + "/torrc";
    }

    String log() {
        return runDirectory + "/tor.log";
    }

    String pidFile() {
        return runDirectory + "/tor.pid";
    }

    String passwordFile() {
        return runDirectory + "/control.password";
    }

    /** Made by tor itself inside {@link #dataDirectory}, so that tor owns it as it requires. */
    String torDataDirectory() {
        return dataDirectory + "/data";
    }
}
