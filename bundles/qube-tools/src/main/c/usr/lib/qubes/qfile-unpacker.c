/*
 * qfile-unpacker: the receiving end of qubes.Filecopy. Reads the stream of qfile-agent (see
 * qfile-proto.h) on stdin and unpacks it into ~/QubesIncoming/$QREXEC_REMOTE_DOMAIN/, then writes
 * the result on stdout.
 *
 * The stream comes from another qube and is hostile:
 * - a name is a relative path of well-formed components (qio_check_relative); an entry's parent must
 *   be a directory this same call created, so nothing is written through anything that was there;
 * - every directory on the way is opened relative to the incoming directory with O_NOFOLLOW, files are
 *   created with O_EXCL|O_NOFOLLOW: no symlink is followed, none is created (symlinks are refused);
 * - only regular files and directories; modes lose setuid, setgid and sticky and pass the umask;
 * - a top-level name that exists already gets a free name NAME.1 .. NAME.999 (nothing is overwritten);
 * - limits: the total of announced sizes (QUBES_FILECOPY_MAX_BYTES, else max_bytes= in filecopy.conf of
 *   /rw/config/bulkhead, /usr/local/etc/bulkhead or /etc/bulkhead; default 16G) and the number of entries
 *   (QUBES_FILECOPY_MAX_FILES or max_files=, default 100000), checked before any data of an entry is read.
 * All or nothing: on any refusal (a bad header, a limit, a truncated stream, a file system error) it
 * removes every file and directory this call created, reports why to the sender and exits 1.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "qfile-proto.h"

#define MAX_RENAMES 999

struct entry {
    char *path; /* relative to the incoming directory, as created */
    int is_dir;
};

/* What this call created, in order; also a hash set of its directories and the top-level renames. */
static struct entry *created;
static size_t n_created, cap_created;

struct slot {
    char *key;
    char *value;
};
static struct slot *table;
static size_t table_cap, table_used;

static int incoming_fd = -1;
static int out_fd = 1;

static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static void die_oom(void) {
    static const char msg[] = "qfile-unpacker: out of memory\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
        /* nothing more to say */
    }
    exit(1);
}

static char *dup_str(const char *s) {
    char *d = strdup(s);
    if (d == NULL)
        die_oom();
    return d;
}

static struct slot *lookup(const char *key) {
    if (table_cap == 0)
        return NULL;
    size_t i = hash(key) & (table_cap - 1);
    while (table[i].key != NULL) {
        if (strcmp(table[i].key, key) == 0)
            return &table[i];
        i = (i + 1) & (table_cap - 1);
    }
    return &table[i];
}

static void put(const char *key, const char *value) {
    if ((table_used + 1) * 2 > table_cap) {
        size_t old_cap = table_cap;
        struct slot *old = table;
        table_cap = old_cap ? old_cap * 2 : 64;
        table = calloc(table_cap, sizeof *table);
        if (table == NULL)
            die_oom();
        table_used = 0;
        for (size_t i = 0; i < old_cap; i++) {
            if (old[i].key != NULL) {
                *lookup(old[i].key) = old[i];
                table_used++;
            }
        }
        free(old);
    }
    struct slot *s = lookup(key);
    if (s->key == NULL) {
        s->key = dup_str(key);
        table_used++;
    } else {
        free(s->value);
    }
    s->value = value ? dup_str(value) : NULL;
}

/* Keys: "d:PATH" for a directory this call created, "t:NAME" for a top-level name and what it became. */
static const struct slot *get(const char *prefix, const char *name) {
    char *key = malloc(strlen(prefix) + strlen(name) + 1);
    if (key == NULL)
        die_oom();
    strcpy(key, prefix);
    strcat(key, name);
    struct slot *s = lookup(key);
    free(key);
    return s != NULL && s->key != NULL ? s : NULL;
}

static void put2(const char *prefix, const char *name, const char *value) {
    char *key = malloc(strlen(prefix) + strlen(name) + 1);
    if (key == NULL)
        die_oom();
    strcpy(key, prefix);
    strcat(key, name);
    put(key, value);
    free(key);
}

static void remember(const char *path, int is_dir) {
    if (n_created == cap_created) {
        cap_created = cap_created ? cap_created * 2 : 64;
        created = realloc(created, cap_created * sizeof *created);
        if (created == NULL)
            die_oom();
    }
    created[n_created].path = dup_str(path);
    created[n_created].is_dir = is_dir;
    n_created++;
    if (is_dir)
        put2("d:", path, NULL);
}

/* Opens the directory at relative path dir (may be "") below the incoming directory, never through a symlink. */
static int open_dir(const char *dir) {
    int fd = dup(incoming_fd);
    if (fd < 0 || dir[0] == '\0')
        return fd;
    char *copy = dup_str(dir);
    char *save = NULL;
    for (char *c = strtok_r(copy, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save)) {
        int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int err = errno;
        close(fd);
        if (next < 0) {
            free(copy);
            errno = err;
            return -1;
        }
        fd = next;
    }
    free(copy);
    return fd;
}

/* Removes what this call created, newest first; what cannot be removed is named on stderr. */
static void remove_created(void) {
    for (size_t i = n_created; i-- > 0;) {
        char *path = created[i].path;
        char *slash = strrchr(path, '/');
        int dfd;
        const char *leaf;
        if (slash == NULL) {
            dfd = dup(incoming_fd);
            leaf = path;
        } else {
            *slash = '\0';
            dfd = open_dir(path);
            *slash = '/';
            leaf = slash + 1;
        }
        if (dfd < 0 || unlinkat(dfd, leaf, created[i].is_dir ? AT_REMOVEDIR : 0) != 0)
            fprintf(stderr, "qfile-unpacker: could not remove %s: %s\n", path, strerror(errno));
        if (dfd >= 0)
            close(dfd);
    }
}

static void send_result(uint32_t status, const char *message) {
    size_t len = strlen(message);
    if (len > QIO_MAX_MESSAGE)
        len = QIO_MAX_MESSAGE;
    unsigned char head[QFILE_RESULT_SIZE];
    qio_put32(head, status);
    qio_put32(head + 4, (uint32_t)len);
    if (qio_write_all(out_fd, head, sizeof head) != 0 || qio_write_all(out_fd, message, len) != 0)
        fprintf(stderr, "qfile-unpacker: could not send the result: %s\n", strerror(errno));
}

/* Refuses the copy: removes what this call wrote, tells the sender and this qube's log, exits 1. */
__attribute__((noreturn, format(printf, 2, 3))) static void refuse(int status, const char *fmt, ...) {
    char message[QIO_MAX_MESSAGE + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    /* The message may quote a name from the stream: print it without its control characters. */
    char shown[QIO_MAX_MESSAGE + 1];
    qio_printable(shown, (const unsigned char *)message, strlen(message));
    remove_created();
    fprintf(stderr, "qfile-unpacker: refused: %s\n", shown);
    send_result(status ? (uint32_t)status : EINVAL, shown);
    exit(1);
}

/* The home directory of uid in /etc/passwd (read directly: a static program has no NSS), or NULL. */
static const char *passwd_home(uid_t uid) {
    static char line[1024];
    FILE *f = fopen("/etc/passwd", "re");
    if (f == NULL)
        return NULL;
    while (fgets(line, sizeof line, f) != NULL) {
        char *field[7];
        char *save = NULL;
        int n = 0;
        line[strcspn(line, "\n")] = '\0';
        for (char *p = line; n < 7; p = NULL) {
            field[n] = strtok_r(p, ":", &save);
            if (field[n] == NULL)
                break;
            n++;
        }
        if (n >= 6 && strtoul(field[2], NULL, 10) == uid && field[5][0] == '/') {
            fclose(f);
            return field[5];
        }
    }
    fclose(f);
    return NULL;
}

/* Opens (creating as needed, never through a symlink) HOME/QubesIncoming/SOURCE. */
static int open_incoming(const char *source) {
    const char *home = getenv("HOME");
    if (home == NULL || home[0] != '/')
        home = passwd_home(getuid());
    if (home == NULL)
        refuse(ENOENT, "the receiving user has no home directory");
    int fd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        /* A fresh qube's user may have no home yet (lite makes none): make it as a login would. */
        char *path = dup_str(home);
        for (char *p = strchr(path + 1, '/');; p = strchr(p + 1, '/')) {
            if (p != NULL)
                *p = '\0';
            if (mkdir(path, p != NULL ? 0755 : 0700) != 0 && errno != EEXIST)
                refuse(errno, "cannot create the home directory %s: %s", path, strerror(errno));
            if (p == NULL)
                break;
            *p = '/';
        }
        free(path);
        fd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (fd < 0)
        refuse(errno, "cannot open the home directory: %s", strerror(errno));
    const char *parts[] = {"QubesIncoming", source};
    for (size_t i = 0; i < 2; i++) {
        if (mkdirat(fd, parts[i], 0700) != 0 && errno != EEXIST)
            refuse(errno, "cannot create ~/QubesIncoming/%s: %s", source, strerror(errno));
        int next = openat(fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0)
            refuse(errno, "cannot open ~/QubesIncoming/%s (a symlink is not followed): %s", source, strerror(errno));
        close(fd);
        fd = next;
    }
    return fd;
}

/* A free top-level name for name: itself, else name.1 .. name.999. */
static char *free_top_name(const char *name) {
    size_t len = strlen(name);
    char *candidate = malloc(len + 5);
    if (candidate == NULL)
        die_oom();
    strcpy(candidate, name);
    struct stat st;
    for (int i = 1; fstatat(incoming_fd, candidate, &st, AT_SYMLINK_NOFOLLOW) == 0; i++) {
        if (i > MAX_RENAMES || len + 4 > QIO_MAX_COMPONENT)
            refuse(EEXIST, "%s exists already and no free name like it is left", name);
        sprintf(candidate, "%s.%d", name, i);
    }
    if (errno != ENOENT)
        refuse(errno, "cannot look at %s: %s", name, strerror(errno));
    return candidate;
}

static void copy_data(int fd, uint64_t size, const char *path) {
    static unsigned char buf[65536];
    while (size > 0) {
        size_t chunk = size < sizeof buf ? (size_t)size : sizeof buf;
        int r = qio_read_all(0, buf, chunk);
        if (r != 0)
            refuse(EPIPE, "the stream ended inside the data of %s", path);
        if (qio_write_all(fd, buf, chunk) != 0)
            refuse(errno, "cannot write %s: %s", path, strerror(errno));
        size -= chunk;
    }
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const char *source = getenv("QREXEC_REMOTE_DOMAIN");
    if (source == NULL || !qio_valid_qube_name(source))
        refuse(EINVAL, "QREXEC_REMOTE_DOMAIN is not a qube's name");
    long long max_bytes = qio_limit("QUBES_FILECOPY_MAX_BYTES", "filecopy.conf", "max_bytes", 16LL << 30);
    long long max_files = qio_limit("QUBES_FILECOPY_MAX_FILES", "filecopy.conf", "max_files", 100000);
    incoming_fd = open_incoming(source);

    uint64_t total = 0;
    long long files = 0;
    static char name[QIO_MAX_NAME + 1];
    for (;;) {
        unsigned char raw[QFILE_HEADER_SIZE];
        int r = qio_read_all(0, raw, sizeof raw);
        if (r != 0)
            refuse(EPIPE, "the stream ended before its end mark");
        struct qfile_header h;
        qfile_decode(raw, &h);
        if (h.namelen == 0) {
            for (size_t i = 0; i < sizeof raw; i++)
                if (raw[i] != 0)
                    refuse(EINVAL, "a header with an empty name");
            break;
        }
        if (h.namelen > QIO_MAX_NAME)
            refuse(ENAMETOOLONG, "a name of %u bytes (at most %d)", h.namelen, QIO_MAX_NAME);
        if (qio_read_all(0, name, h.namelen) != 0)
            refuse(EPIPE, "the stream ended inside a name");
        name[h.namelen] = '\0';
        const char *why = memchr(name, '\0', h.namelen) ? "a NUL byte in a name" : qio_check_relative(name, h.namelen);
        if (why != NULL)
            refuse(EINVAL, "%s: %s", why, name);
        int is_dir = S_ISDIR(h.mode);
        if (!is_dir && !S_ISREG(h.mode))
            refuse(EINVAL, "%s: only regular files and directories are accepted (mode %o; symlinks are refused)", name, h.mode);
        if (is_dir && h.size != 0)
            refuse(EINVAL, "%s: a directory with data", name);
        if (h.atime_nsec >= 1000000000 || h.mtime_nsec >= 1000000000)
            refuse(EINVAL, "%s: a time with more than 999999999 nanoseconds", name);
        if (++files > max_files)
            refuse(EDQUOT, "more than %lld files and directories (the limit, QUBES_FILECOPY_MAX_FILES)", max_files);
        if (h.size > (uint64_t)max_bytes - total)
            refuse(EDQUOT, "%s: the copy would exceed %lld bytes (the limit, QUBES_FILECOPY_MAX_BYTES)", name, max_bytes);
        total += h.size;

        /* Where it goes: a top-level name gets a free name; below, its parent is a directory of this call. */
        char *slash = strchr(name, '/');
        char *path;
        char *parent;
        const char *leaf;
        if (slash == NULL) {
            path = free_top_name(name);
            put2("t:", name, path);
            parent = dup_str("");
            leaf = path;
        } else {
            *slash = '\0';
            const struct slot *top = get("t:", name);
            *slash = '/';
            if (top == NULL)
                refuse(ENOENT, "%s: its directory did not come first in this copy", name);
            path = malloc(strlen(top->value) + strlen(slash) + 1);
            if (path == NULL)
                die_oom();
            strcpy(path, top->value);
            strcat(path, slash);
            char *last = strrchr(path, '/');
            parent = dup_str(path);
            parent[last - path] = '\0';
            leaf = last + 1;
            if (get("d:", parent) == NULL)
                refuse(ENOENT, "%s: its directory did not come first in this copy", name);
        }
        int dfd = open_dir(parent);
        if (dfd < 0)
            refuse(errno, "%s: cannot open its directory: %s", name, strerror(errno));
        mode_t perm = h.mode & 0777;
        struct timespec times[2] = {{h.atime, h.atime_nsec}, {h.mtime, h.mtime_nsec}};
        if (is_dir) {
            if (mkdirat(dfd, leaf, perm | 0700) != 0)
                refuse(errno, "%s: cannot create the directory: %s", name, strerror(errno));
            remember(path, 1);
        } else {
            int fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm);
            if (fd < 0)
                refuse(errno, "%s: cannot create the file: %s", name, strerror(errno));
            remember(path, 0);
            copy_data(fd, h.size, name);
            if (futimens(fd, times) != 0 || close(fd) != 0)
                refuse(errno, "%s: cannot finish the file: %s", name, strerror(errno));
        }
        close(dfd);
        free(parent);
        free(path);
    }
    send_result(0, "");
    return 0;
}
