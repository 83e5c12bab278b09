/*
 * qopen-in-vm FILE: the calling side of qubes.OpenInVM (qvm-open-in-dvm and qvm-open-in-vm run it
 * through qrexec-client-vm). Sends FILE under its base name (qopen-proto.h) on stdout, waits for the
 * answer on stdin, and when the other qube sends the file back changed, writes it over FILE.
 *
 * The answer comes from another qube and is checked before anything is written: a known status, a
 * size within QUBES_OPENINVM_MAX_BYTES (default 1G), every byte there. The new content goes to a fresh
 * file beside FILE that replaces it by rename() only once it is whole, so FILE is either as it was or
 * the complete new content, never a mix; it keeps FILE's permission bits.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "qopen-proto.h"

static char *temp_path;

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...) {
    if (temp_path != NULL)
        unlink(temp_path);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "qopen-in-vm: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    if (argc != 2) {
        fprintf(stderr, "usage: qopen-in-vm FILE\n  sends FILE as a qubes.OpenInVM request on stdout, writes back what returns changed on stdin\n");
        return 2;
    }
    const char *file = argv[1];
    long long max_bytes = qopen_max_bytes();
    const char *slash = strrchr(file, '/');
    const char *base = slash ? slash + 1 : file;
    const char *why = qio_check_component(base, strlen(base));
    if (why != NULL)
        fail("%s: cannot be sent: %s", file, why);
    int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        fail("%s: %s", file, strerror(errno));
    if (!S_ISREG(st.st_mode))
        fail("%s: not a regular file", file);
    if (st.st_size > max_bytes)
        fail("%s: %lld bytes, more than the %lld allowed (QUBES_OPENINVM_MAX_BYTES)", file, (long long)st.st_size, max_bytes);

    unsigned char field[12];
    qio_put32(field, (uint32_t)strlen(base));
    int sent = qio_write_all(1, field, 4) == 0 && qio_write_all(1, base, strlen(base)) == 0;
    qio_put64(field, (uint64_t)st.st_size);
    sent = sent && qio_write_all(1, field, 8) == 0 && qopen_copy(fd, 1, (uint64_t)st.st_size) == 0;
    close(fd);
    /* A refusal arrives while the file is still being sent: read the answer either way. */

    if (qio_read_all(0, field, 4) != 0)
        fail("%s", sent ? "the other qube ended without an answer" : "the other qube stopped reading the file");
    uint32_t status = qio_get32(field);
    if (status == QOPEN_UNCHANGED)
        return 0;
    if (status == QOPEN_FAILED) {
        if (qio_read_all(0, field, 4) != 0)
            fail("the other qube sent a truncated answer");
        uint32_t len = qio_get32(field);
        if (len > QIO_MAX_MESSAGE)
            fail("the other qube sent a malformed answer");
        unsigned char text[QIO_MAX_MESSAGE];
        char shown[QIO_MAX_MESSAGE + 1];
        if (qio_read_all(0, text, len) != 0)
            fail("the other qube sent a truncated answer");
        qio_printable(shown, text, len);
        fail("the other qube refused or failed: %s", shown);
    }
    if (status != QOPEN_CHANGED)
        fail("the other qube sent a malformed answer (status %u): %s is left as it was", status, file);
    if (qio_read_all(0, field, 8) != 0)
        fail("the other qube sent a truncated answer: %s is left as it was", file);
    uint64_t size = qio_get64(field);
    if (size > (uint64_t)max_bytes)
        fail("the other qube sent back %llu bytes, more than the %lld allowed: %s is left as it was",
                (unsigned long long)size, max_bytes, file);

    size_t dir_len = slash ? (size_t)(slash - file) + 1 : 0;
    temp_path = malloc(dir_len + 32);
    if (temp_path == NULL)
        fail("out of memory");
    memcpy(temp_path, file, dir_len);
    strcpy(temp_path + dir_len, ".qopen-in-vm-XXXXXX");
    int out = mkstemp(temp_path);
    if (out < 0) {
        free(temp_path);
        temp_path = NULL;
        fail("%s: cannot write beside it: %s", file, strerror(errno));
    }
    if (qopen_copy(0, out, size) != 0)
        fail("the other qube sent back fewer bytes than it announced, or they could not be written: %s is left as it was", file);
    if (fchmod(out, st.st_mode & 0777) != 0 || fsync(out) != 0 || close(out) != 0 || rename(temp_path, file) != 0)
        fail("%s: cannot write it back: %s", file, strerror(errno));
    return 0;
}
