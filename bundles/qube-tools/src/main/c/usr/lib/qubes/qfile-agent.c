/*
 * qfile-agent FILE...: the sending end of qubes.Filecopy (qvm-copy-to-vm runs it through
 * qrexec-client-vm). Writes the files and directories, recursively, as the stream of qfile-proto.h
 * on stdout, each under its own base name; then reads the receiver's result on stdin. Exits 0 only
 * when the receiver confirmed that every file arrived; else prints why and exits 1.
 *
 * Only regular files and directories are sent: a symlink, device, FIFO or socket anywhere in the tree
 * stops the copy before it is sent (the receiver, seeing no end mark, removes what had arrived).
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "qfile-proto.h"

static const char *program = "qfile-agent";

/* Reads the receiver's result; NULL when it confirmed, else a message (a static buffer). */
static const char *read_result(void) {
    static char message[QIO_MAX_MESSAGE + 64];
    unsigned char head[QFILE_RESULT_SIZE];
    if (qio_read_all(0, head, sizeof head) != 0)
        return "the receiving qube ended the copy without a result";
    uint32_t status = qio_get32(head);
    uint32_t len = qio_get32(head + 4);
    if (len > QIO_MAX_MESSAGE)
        return "the receiving qube sent a malformed result";
    unsigned char text[QIO_MAX_MESSAGE];
    if (qio_read_all(0, text, len) != 0)
        return "the receiving qube sent a truncated result";
    if (status == 0)
        return NULL;
    char shown[QIO_MAX_MESSAGE + 1];
    qio_printable(shown, text, len);
    snprintf(message, sizeof message, "the receiving qube refused the copy: %s", len ? shown : strerror((int)status));
    return message;
}

/* Stops: when the receiver already said why, that is the reason shown. */
__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", program);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static void send_bytes(const void *buf, size_t n) {
    if (qio_write_all(1, buf, n) != 0) {
        const char *why = read_result();
        fail("%s", why ? why : "the receiving qube stopped reading");
    }
}

static void send_header(const char *name, const struct stat *st, uint64_t size) {
    struct qfile_header h = {
        .namelen = (uint32_t)strlen(name),
        .mode = (uint32_t)st->st_mode,
        .size = size,
        .atime = (uint32_t)st->st_atim.tv_sec,
        .atime_nsec = (uint32_t)st->st_atim.tv_nsec,
        .mtime = (uint32_t)st->st_mtim.tv_sec,
        .mtime_nsec = (uint32_t)st->st_mtim.tv_nsec,
    };
    unsigned char raw[QFILE_HEADER_SIZE];
    qfile_encode(raw, &h);
    send_bytes(raw, sizeof raw);
    send_bytes(name, h.namelen);
}

static void send_file(int fd, const char *local, const char *name, const struct stat *st) {
    send_header(name, st, (uint64_t)st->st_size);
    static unsigned char buf[65536];
    uint64_t left = (uint64_t)st->st_size;
    while (left > 0) {
        size_t chunk = left < sizeof buf ? (size_t)left : sizeof buf;
        int r = qio_read_all(fd, buf, chunk);
        if (r != 0)
            fail("%s: it shrank or could not be read while it was sent: %s", local, strerror(errno));
        send_bytes(buf, chunk);
        left -= chunk;
    }
}

/* Sends what dirfd/leaf is (local is its path for messages) as name, and a directory's entries after it. */
static void send_tree(int parent_fd, const char *leaf, const char *local, const char *name) {
    size_t len = strlen(name);
    const char *why = qio_check_relative(name, len);
    if (why != NULL)
        fail("%s: cannot be sent: %s", local, why);
    struct stat st;
    if (fstatat(parent_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0)
        fail("%s: %s", local, strerror(errno));
    if (S_ISLNK(st.st_mode))
        fail("%s: a symlink: only regular files and directories are copied", local);
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        fail("%s: not a regular file or directory: only those are copied", local);
    int fd = openat(parent_fd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) != 0)
        fail("%s: %s", local, strerror(errno));
    if (S_ISREG(st.st_mode)) {
        send_file(fd, local, name, &st);
        close(fd);
        return;
    }
    if (!S_ISDIR(st.st_mode))
        fail("%s: not a regular file or directory: only those are copied", local);
    send_header(name, &st, 0);
    DIR *dir = fdopendir(fd);
    if (dir == NULL)
        fail("%s: %s", local, strerror(errno));
    struct dirent *e;
    errno = 0;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t child_len = len + 1 + strlen(e->d_name);
        if (child_len > QIO_MAX_NAME)
            fail("%s/%s: a name longer than %d bytes", local, e->d_name, QIO_MAX_NAME);
        char *child = malloc(child_len + 1);
        char *child_local = malloc(strlen(local) + 1 + strlen(e->d_name) + 1);
        if (child == NULL || child_local == NULL)
            fail("out of memory");
        sprintf(child, "%s/%s", name, e->d_name);
        sprintf(child_local, "%s/%s", local, e->d_name);
        send_tree(dirfd(dir), e->d_name, child_local, child);
        free(child);
        free(child_local);
        errno = 0;
    }
    if (errno != 0)
        fail("%s: %s", local, strerror(errno));
    closedir(dir);
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...\n  sends the files and directories as a qubes.Filecopy stream on stdout\n", program);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        /* The name on the other side is the base name, without trailing slashes. */
        char *path = strdup(argv[i]);
        if (path == NULL)
            fail("out of memory");
        size_t len = strlen(path);
        while (len > 1 && path[len - 1] == '/')
            path[--len] = '\0';
        char *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        char *dir = slash == NULL ? strdup(".") : slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
        if (dir == NULL)
            fail("out of memory");
        int parent_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent_fd < 0)
            fail("%s: %s", argv[i], strerror(errno));
        send_tree(parent_fd, base, argv[i], base);
        close(parent_fd);
        free(dir);
        free(path);
    }
    unsigned char end[QFILE_HEADER_SIZE] = {0};
    send_bytes(end, sizeof end);
    const char *why = read_result();
    if (why != NULL)
        fail("%s", why);
    return 0;
}
