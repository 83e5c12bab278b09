package dev.bulkhead.backend.xen.internal;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * libvirt's C calls that open a stream to a domain's character device, which the Java binding 0.5.3 does not wrap:
 * for tests that show what a driver answers. Each call opens its own connection and says how it ended.
 */
final class LibvirtStreams {
    interface C extends Library {
        Pointer virConnectOpen(String uri);

        int virConnectClose(Pointer conn);

        Pointer virDomainLookupByName(Pointer conn, String name);

        int virDomainFree(Pointer domain);

        Pointer virStreamNew(Pointer conn, int flags);

        int virStreamAbort(Pointer stream);

        int virStreamFree(Pointer stream);

        int virDomainOpenChannel(Pointer domain, String name, Pointer stream, int flags);

        int virDomainOpenConsole(Pointer domain, String device, Pointer stream, int flags);

        String virGetLastErrorMessage();
    }

    private static final C LIBVIRT = Native.load("virt", C.class);

    private LibvirtStreams() {
    }

    static String openChannel(String uri, String domain, String name) {
        return open(uri, domain, (d, s) -> LIBVIRT.virDomainOpenChannel(d, name, s, 0));
    }

    static String openConsole(String uri, String domain, String device) {
        return open(uri, domain, (d, s) -> LIBVIRT.virDomainOpenConsole(d, device, s, 0));
    }

    private interface Opening {
        int open(Pointer domain, Pointer stream);
    }

    /** "opened", or libvirt's error message. */
    private static String open(String uri, String name, Opening opening) {
        Pointer conn = LIBVIRT.virConnectOpen(uri);
        if (conn == null) {
            return "no connection: " + LIBVIRT.virGetLastErrorMessage();
        }
        try {
            Pointer domain = LIBVIRT.virDomainLookupByName(conn, name);
            if (domain == null) {
                return "no domain: " + LIBVIRT.virGetLastErrorMessage();
            }
            try {
                Pointer stream = LIBVIRT.virStreamNew(conn, 0);
                try {
                    if (opening.open(domain, stream) < 0) {
                        return LIBVIRT.virGetLastErrorMessage();
                    }
                    LIBVIRT.virStreamAbort(stream);
                    return "opened";
                } finally {
                    LIBVIRT.virStreamFree(stream);
                }
            } finally {
                LIBVIRT.virDomainFree(domain);
            }
        } finally {
            LIBVIRT.virConnectClose(conn);
        }
    }
}
