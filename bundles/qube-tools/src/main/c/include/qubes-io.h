/*
 * What the file services (qubes.Filecopy, qubes.OpenInVM) share: whole reads and writes that survive
 * EINTR and short transfers, little-endian fields, the checks every name from another qube passes
 * before it touches the file system, and the limits a qube sets in its environment or a config file.
 * Static inline so that each program is one translation unit (build-tools compiles every .c alone).
 */
#ifndef QUBES_IO_H
#define QUBES_IO_H

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A component of a name: as a Linux file system allows. */
#define QIO_MAX_COMPONENT 255
/* A whole relative name in a copy: PATH_MAX less the terminating NUL. */
#define QIO_MAX_NAME 4095
/* A message the receiver sends back: enough for a sentence naming the file. */
#define QIO_MAX_MESSAGE 1024

/* Reads exactly n bytes. 0: all read; 1: end of stream before the first byte; -1: end of stream after
 * some bytes (a truncated field) or an error (errno says which). */
static inline int qio_read_all(int fd, void *buf, size_t n) {
    unsigned char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0) {
            errno = EPIPE;
            return got == 0 ? 1 : -1;
        }
        got += (size_t)r;
    }
    return 0;
}

/* Writes exactly n bytes; -1 with errno on failure. */
static inline int qio_write_all(int fd, const void *buf, size_t n) {
    const unsigned char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)w;
    }
    return 0;
}

static inline void qio_put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline void qio_put64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t qio_get32(const unsigned char *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline uint64_t qio_get64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes left), 0 when it is not one: no
 * overlong forms, no surrogates, nothing above U+10FFFF, no C1 control characters (U+0080..U+009F). */
static inline size_t qio_utf8_char(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)
            || (cp >= 0x80 && cp <= 0x9f))
        return 0;
    return len;
}

/* NULL when name[0..len) is one acceptable component: not empty, not "." or "..", no '/', no NUL or
 * other control character, well-formed UTF-8, at most QIO_MAX_COMPONENT bytes; else why not. */
static inline const char *qio_check_component(const char *name, size_t len) {
    const unsigned char *s = (const unsigned char *)name;
    if (len == 0)
        return "an empty name or path component";
    if (len > QIO_MAX_COMPONENT)
        return "a path component longer than 255 bytes";
    if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
        return "a '.' or '..' path component";
    for (size_t i = 0; i < len;) {
        if (s[i] == '/')
            return "a '/' inside a name";
        if (s[i] < 0x20 || s[i] == 0x7f)
            return "a control character in a name";
        size_t l = qio_utf8_char(s + i, len - i);
        if (l == 0)
            return "a name that is not well-formed UTF-8 text";
        i += l;
    }
    return NULL;
}

/* NULL when name[0..len) is an acceptable relative path: components separated by single '/', none
 * empty, none "." or "..", no leading or trailing '/', at most QIO_MAX_NAME bytes; else why not. */
static inline const char *qio_check_relative(const char *name, size_t len) {
    if (len == 0)
        return "an empty name";
    if (len > QIO_MAX_NAME)
        return "a name longer than 4095 bytes";
    if (name[0] == '/')
        return "an absolute name";
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || name[i] == '/') {
            const char *why = qio_check_component(name + start, i - start);
            if (why != NULL)
                return why;
            start = i + 1;
        }
    }
    return NULL;
}

/* A qube's name as qrexec hands it over: a letter, then letters, digits, '_', '.', '-'; 1..31 bytes. */
static inline int qio_valid_qube_name(const char *name) {
    size_t len = strlen(name);
    if (len == 0 || len > 31)
        return 0;
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
        return 0;
    for (size_t i = 1; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

/* A decimal number of at most 19 digits, optionally followed by K, M, G or T (powers of 1024); -1 if not. */
static inline long long qio_parse_size(const char *s) {
    long long v = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
        if (++digits > 19)
            return -1;
        v = v * 10 + (*s++ - '0');
    }
    if (digits == 0)
        return -1;
    int shift = 0;
    switch (*s) {
    case 'K': shift = 10; s++; break;
    case 'M': shift = 20; s++; break;
    case 'G': shift = 30; s++; break;
    case 'T': shift = 40; s++; break;
    default: break;
    }
    if (*s != '\0' || (shift && v > (LLONG_MAX >> shift)))
        return -1;
    return v << shift;
}

/* Where a qube's settings for these services are read, first found first: /rw/config/bulkhead (the qube's
 * own, on its private volume), /usr/local/etc/bulkhead (the qube's own where /usr/local is kept), /etc/bulkhead
 * (its template's). */
static const char *const qio_config_dirs[] = {"/rw/config/bulkhead/", "/usr/local/etc/bulkhead/", "/etc/bulkhead/"};
#define QIO_CONFIG_DIRS 3

/* A limit: the environment variable ENV when set, else KEY=VALUE in the first FILE of qio_config_dirs
 * that sets it, else the default. A value that
 * is not a size is an error, never silently the default. */
static inline long long qio_limit(const char *env, const char *file, const char *key, long long fallback) {
    const char *v = getenv(env);
    if (v != NULL) {
        long long n = qio_parse_size(v);
        if (n < 0) {
            fprintf(stderr, "%s='%s' is not a size (digits, optionally K, M, G or T)\n", env, v);
            exit(2);
        }
        return n;
    }
    for (size_t d = 0; d < QIO_CONFIG_DIRS; d++) {
        char path[256];
        snprintf(path, sizeof path, "%s%s", qio_config_dirs[d], file);
        FILE *f = fopen(path, "re");
        if (f == NULL)
            continue;
        char line[256];
        size_t klen = strlen(key);
        long long found = -2;
        while (fgets(line, sizeof line, f) != NULL) {
            line[strcspn(line, "\r\n")] = '\0';
            if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
                found = qio_parse_size(line + klen + 1);
                if (found < 0) {
                    fprintf(stderr, "%s: %s='%s' is not a size (digits, optionally K, M, G or T)\n", path, key, line + klen + 1);
                    exit(2);
                }
            }
        }
        fclose(f);
        if (found >= 0)
            return found;
    }
    return fallback;
}

/* Copies len bytes of text that may come from another qube for printing: control characters and bytes
 * that are not well-formed UTF-8 become '?' (out holds len + 1 bytes). */
static inline void qio_printable(char *out, const unsigned char *in, size_t len) {
    for (size_t i = 0; i < len;) {
        size_t l = (in[i] < 0x20 || in[i] == 0x7f) ? 0 : qio_utf8_char(in + i, len - i);
        if (l == 0) {
            out[i++] = '?';
            continue;
        }
        memcpy(out + i, in + i, l);
        i += l;
    }
    out[len] = '\0';
}

#endif
