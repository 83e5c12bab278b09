/*
 * The qubes.OpenInVM exchange between qopen-in-vm (the caller) and vm-file-editor (the service).
 * All fields little-endian.
 *
 * Caller to service:  uint32 namelen (1..255), the file's base name, uint64 size, the file's bytes.
 * Service to caller, once the opener has ended:
 *   uint32 status    0: unchanged; 1: changed, followed by uint64 size and the new bytes;
 *                    2: refused or failed, followed by uint32 msglen (0..1024) and the message.
 */
#ifndef QOPEN_PROTO_H
#define QOPEN_PROTO_H

#include "qubes-io.h"

#define QOPEN_UNCHANGED 0
#define QOPEN_CHANGED 1
#define QOPEN_FAILED 2

/* Default for both ends: QUBES_OPENINVM_MAX_BYTES or max_bytes= in openinvm.conf (qubes-io.h). */
#define QOPEN_DEFAULT_MAX_BYTES (1LL << 30)

static inline long long qopen_max_bytes(void) {
    return qio_limit("QUBES_OPENINVM_MAX_BYTES", "openinvm.conf", "max_bytes", QOPEN_DEFAULT_MAX_BYTES);
}

/* Copies exactly size bytes from in to out; 0, or -1 when in ended early or a write failed. */
static inline int qopen_copy(int in, int out, uint64_t size) {
    static unsigned char buf[65536];
    while (size > 0) {
        size_t chunk = size < sizeof buf ? (size_t)size : sizeof buf;
        if (qio_read_all(in, buf, chunk) != 0 || qio_write_all(out, buf, chunk) != 0)
            return -1;
        size -= chunk;
    }
    return 0;
}

#endif
