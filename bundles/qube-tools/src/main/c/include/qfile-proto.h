/*
 * The qubes.Filecopy stream, after Qubes' own (a header per file, then its name and its data; a
 * result back from the receiver). All fields little-endian.
 *
 * Sender to receiver, per entry, a 32-byte header:
 *   uint32 namelen   bytes of the name that follows (no terminating NUL), 1..4095
 *   uint32 mode      st_mode: S_IFREG or S_IFDIR and permission bits; nothing else is accepted
 *   uint64 size      bytes of data that follow the name (0 for a directory)
 *   uint32 atime, atime_nsec, mtime, mtime_nsec
 * then the name (relative, '/'-separated; a directory comes before what it holds), then the data.
 * The end: a header of 32 zero bytes.
 *
 * Receiver to sender, once, when it has finished or refused:
 *   uint32 status    0: every file arrived; else an errno value saying why it was refused
 *   uint32 msglen    0..1024
 *   the message, text naming what was refused and why
 */
#ifndef QFILE_PROTO_H
#define QFILE_PROTO_H

#include "qubes-io.h"

#define QFILE_HEADER_SIZE 32
#define QFILE_RESULT_SIZE 8

struct qfile_header {
    uint32_t namelen;
    uint32_t mode;
    uint64_t size;
    uint32_t atime, atime_nsec, mtime, mtime_nsec;
};

static inline void qfile_encode(unsigned char *b, const struct qfile_header *h) {
    qio_put32(b, h->namelen);
    qio_put32(b + 4, h->mode);
    qio_put64(b + 8, h->size);
    qio_put32(b + 16, h->atime);
    qio_put32(b + 20, h->atime_nsec);
    qio_put32(b + 24, h->mtime);
    qio_put32(b + 28, h->mtime_nsec);
}

static inline void qfile_decode(const unsigned char *b, struct qfile_header *h) {
    h->namelen = qio_get32(b);
    h->mode = qio_get32(b + 4);
    h->size = qio_get64(b + 8);
    h->atime = qio_get32(b + 16);
    h->atime_nsec = qio_get32(b + 20);
    h->mtime = qio_get32(b + 24);
    h->mtime_nsec = qio_get32(b + 28);
}

#endif
