/*
 * vm-file-editor: the service side of qubes.OpenInVM (run by /etc/qubes-rpc/qubes.OpenInVM). Receives
 * a file (qopen-proto.h) into a fresh private directory, opens it with the qube's opener, waits for
 * the opener to end, then sends the file back when it changed (the caller writes it over the original).
 *
 * The caller is another qube and is hostile: its name must be one plain component (no '/', '.', '..',
 * control characters; well-formed UTF-8; at most 255 bytes), its size at most QUBES_OPENINVM_MAX_BYTES
 * (or max_bytes= in openinvm.conf, see qubes-io.h; default 1G), its data complete.
 *
 * The opener, the first that is there: $BULKHEAD_OPENER (a program, run without a shell), an
 * executable file-opener in /rw/config/bulkhead, /usr/local/etc/bulkhead (the qube's own) or
 * /etc/bulkhead (its template's), xdg-open on PATH. It runs as OPENER PATH with stdin from /dev/null and stdout to stderr
 * (stdout is the channel back to the caller). A file that is not a regular file after it ran, or an
 * opener that failed, sends nothing back.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "qopen-proto.h"

static char dir[64];
static char *work_path;
static char *orig_path;
static char *sub_path;

static void cleanup(void) {
    if (work_path)
        unlink(work_path);
    if (orig_path)
        unlink(orig_path);
    if (sub_path)
        rmdir(sub_path);
    if (dir[0])
        rmdir(dir);
}

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...) {
    char message[QIO_MAX_MESSAGE + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    char shown[QIO_MAX_MESSAGE + 1];
    qio_printable(shown, (const unsigned char *)message, strlen(message));
    cleanup();
    fprintf(stderr, "vm-file-editor: %s\n", shown);
    unsigned char head[8];
    size_t len = strlen(shown);
    qio_put32(head, QOPEN_FAILED);
    qio_put32(head + 4, (uint32_t)len);
    if (qio_write_all(1, head, sizeof head) != 0 || qio_write_all(1, shown, len) != 0)
        fprintf(stderr, "vm-file-editor: could not tell the caller: %s\n", strerror(errno));
    exit(1);
}

static char *join(const char *a, const char *b) {
    char *p = malloc(strlen(a) + strlen(b) + 2);
    if (p == NULL)
        fail("out of memory");
    sprintf(p, "%s/%s", a, b);
    return p;
}

static const char *find_opener(void) {
    const char *env = getenv("BULKHEAD_OPENER");
    if (env != NULL && env[0] != '\0')
        return env;
    static char file[64];
    for (size_t i = 0; i < QIO_CONFIG_DIRS; i++) {
        snprintf(file, sizeof file, "%sfile-opener", qio_config_dirs[i]);
        if (access(file, X_OK) == 0)
            return file;
    }
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/usr/local/bin:/usr/bin:/bin";
    char *copy = strdup(path);
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
        char *candidate = join(d, "xdg-open");
        if (access(candidate, X_OK) == 0)
            return candidate;
        free(candidate);
    }
    return NULL;
}

/* 1 when the two open files differ in size or bytes. */
static int differ(int a, int b) {
    static unsigned char x[65536], y[65536];
    for (;;) {
        ssize_t m = read(a, x, sizeof x);
        if (m < 0)
            fail("cannot read the opened file back: %s", strerror(errno));
        if (m == 0) {
            ssize_t n = read(b, y, 1);
            return n != 0;
        }
        if (qio_read_all(b, y, (size_t)m) != 0 || memcmp(x, y, (size_t)m) != 0)
            return 1;
    }
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    long long max_bytes = qopen_max_bytes();
    unsigned char field[8];
    if (qio_read_all(0, field, 4) != 0)
        fail("the request ended before the file's name");
    uint32_t namelen = qio_get32(field);
    if (namelen == 0 || namelen > QIO_MAX_COMPONENT)
        fail("a name of %u bytes (1 to %d)", namelen, QIO_MAX_COMPONENT);
    char name[QIO_MAX_COMPONENT + 1];
    if (qio_read_all(0, name, namelen) != 0)
        fail("the request ended inside the file's name");
    name[namelen] = '\0';
    const char *why = memchr(name, '\0', namelen) ? "a NUL byte in a name" : qio_check_component(name, namelen);
    if (why != NULL)
        fail("%s: %s", why, name);
    if (qio_read_all(0, field, 8) != 0)
        fail("the request ended before the file's size");
    uint64_t size = qio_get64(field);
    if (size > (uint64_t)max_bytes)
        fail("%s: %llu bytes, more than the %lld bytes allowed (QUBES_OPENINVM_MAX_BYTES)", name, (unsigned long long)size, max_bytes);
    const char *opener = find_opener();
    if (opener == NULL)
        fail("this qube has no opener: set BULKHEAD_OPENER, install /etc/bulkhead/file-opener or xdg-open");

    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > 40)
        tmp = "/tmp";
    snprintf(dir, sizeof dir, "%s/qopen-XXXXXX", tmp);
    if (mkdtemp(dir) == NULL) {
        dir[0] = '\0';
        fail("cannot make a private directory: %s", strerror(errno));
    }
    orig_path = join(dir, ".received");
    char *sub = join(dir, "file");
    if (mkdir(sub, 0700) != 0)
        fail("cannot make a private directory: %s", strerror(errno));
    sub_path = sub;
    work_path = join(sub, name);
    int work = open(work_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int orig = open(orig_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (work < 0 || orig < 0)
        fail("cannot create the file: %s", strerror(errno));
    static unsigned char buf[65536];
    for (uint64_t left = size; left > 0;) {
        size_t chunk = left < sizeof buf ? (size_t)left : sizeof buf;
        if (qio_read_all(0, buf, chunk) != 0)
            fail("%s: the request ended inside the file's data", name);
        if (qio_write_all(work, buf, chunk) != 0 || qio_write_all(orig, buf, chunk) != 0)
            fail("cannot write the file: %s", strerror(errno));
        left -= chunk;
    }
    if (close(work) != 0)
        fail("cannot write the file: %s", strerror(errno));

    pid_t pid = fork();
    if (pid < 0)
        fail("cannot start the opener: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, 0) < 0 || dup2(2, 1) < 0)
            _exit(126);
        signal(SIGPIPE, SIG_DFL);
        execlp(opener, opener, work_path, (char *)NULL);
        fprintf(stderr, "vm-file-editor: cannot run %s: %s\n", opener, strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            fail("cannot wait for the opener: %s", strerror(errno));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("the opener %s failed (status %d): nothing is sent back", opener,
                WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));

    work = open(work_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (work < 0 || fstat(work, &st) != 0 || !S_ISREG(st.st_mode))
        fail("%s is not a regular file any more: nothing is sent back", name);
    if (lseek(orig, 0, SEEK_SET) != 0)
        fail("cannot read the received file: %s", strerror(errno));
    unsigned char head[12];
    if (!differ(work, orig)) {
        cleanup();
        qio_put32(head, QOPEN_UNCHANGED);
        return qio_write_all(1, head, 4) == 0 ? 0 : 1;
    }
    if (fstat(work, &st) != 0 || lseek(work, 0, SEEK_SET) != 0)
        fail("cannot read the opened file back: %s", strerror(errno));
    if (st.st_size > max_bytes)
        fail("%s grew to %lld bytes, more than the %lld allowed: nothing is sent back", name, (long long)st.st_size, max_bytes);
    qio_put32(head, QOPEN_CHANGED);
    qio_put64(head + 4, (uint64_t)st.st_size);
    if (qio_write_all(1, head, sizeof head) != 0 || qopen_copy(work, 1, (uint64_t)st.st_size) != 0) {
        cleanup();
        fprintf(stderr, "vm-file-editor: cannot send %s back: %s\n", name, strerror(errno));
        return 1;
    }
    cleanup();
    return 0;
}
