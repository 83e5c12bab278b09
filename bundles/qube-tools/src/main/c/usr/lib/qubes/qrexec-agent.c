/*
 * qrexec-agent [CHANNEL...]
 *
 * Runs the services dom0 starts in this qube (protocol: qrexec-agent-protocol.h). Connects to the first CHANNEL
 * that is there (default: the lite socket, then the qemu port): a unix socket is connected to, a character device
 * opened. Serves every process over that one stream with one poll loop and fixed buffers: a process's output is
 * read only while dom0 has granted credit for it, its stdin holds at most one window, so one slow caller never
 * stalls another and nothing grows without bound. Each program runs as the user START names (from this qube's
 * /etc/passwd and /etc/group, or the directory QREXEC_AGENT_ETC names), in its own session and process group,
 * which KILL and the stream's end kill. An agent that is not root (on lite, whose qubes cannot change user, dom0
 * starts it as the qube's default user) runs everything as its own user and refuses any other. When the stream ends it connects again, every 250 ms until it can.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qrexec-agent-protocol.h"

#define OUTQ_BYTES (256 * 1024)
#define CONTROL_ROOM (QAGENT_HEADER_BYTES + QAGENT_MAX_FAILED)
#define MAX_PASSWD_BYTES (1024 * 1024)
#define MAX_GROUPS 32

struct proc {
    int used;
    pid_t pid;   /* the process group's id; running while reaped == 0 */
    int reaped;
    int status;
    int in_fd, out_fd[2];
    unsigned char *in_buf; /* stdin bytes not yet written, at most one window */
    size_t in_off, in_len;
    int in_eof;
    uint32_t in_grant;     /* stdin bytes written or dropped, not yet granted back */
    uint32_t credit[2];    /* what dom0 lets us send of stdout, stderr */
    int eof_pending[2];
    int started_pending;
    char failed[QAGENT_MAX_FAILED + 1];
    int failed_pending;
};

static struct proc procs[QAGENT_MAX_PROCESSES];
static unsigned char outq[OUTQ_BYTES];
static size_t out_off, out_len;
static unsigned char rbuf[QAGENT_HEADER_BYTES + QAGENT_MAX_PAYLOAD];
static size_t r_have, r_need;
static sigset_t blocked;
static const char *etc_dir = "/etc";

static void logmsg(const char *what) {
    fprintf(stderr, "qrexec-agent: %s\n", what);
}

static void set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static size_t out_free(void) {
    return OUTQ_BYTES - out_len;
}

/* Appends a frame; the caller checked out_free(). */
static void emit(int type, int id, const void *payload, size_t len) {
    if (out_off > 0 && out_off == out_len)
        out_off = out_len = 0;
    if (out_free() < QAGENT_HEADER_BYTES + len) {
        memmove(outq, outq + out_off, out_len - out_off);
        out_len -= out_off;
        out_off = 0;
    }
    unsigned char *p = outq + out_len;
    p[0] = (unsigned char)type;
    p[1] = (unsigned char)(id >> 8);
    p[2] = (unsigned char)id;
    p[3] = (unsigned char)(len >> 8);
    p[4] = (unsigned char)len;
    if (len > 0)
        memcpy(p + QAGENT_HEADER_BYTES, payload, len);
    out_len += QAGENT_HEADER_BYTES + len;
}

static size_t room(void) {
    return OUTQ_BYTES - (out_len - out_off);
}

static void put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* --- users --- */

struct user {
    char name[33];
    uid_t uid;
    gid_t gid;
    char home[257];
};

/* Reads a file of this qube, bounded; NULL when it cannot. */
static char *read_etc(const char *file) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", etc_dir, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    char *text = malloc(MAX_PASSWD_BYTES + 1);
    size_t have = 0;
    if (text != NULL) {
        ssize_t n;
        while (have < MAX_PASSWD_BYTES && (n = read(fd, text + have, MAX_PASSWD_BYTES - have)) > 0)
            have += (size_t)n;
        text[have] = '\0';
    }
    close(fd);
    return text;
}

static int parse_id(const char *s, unsigned long *out) {
    if (*s == '\0' || strlen(s) > 9 || strspn(s, "0123456789") != strlen(s))
        return 0;
    *out = strtoul(s, NULL, 10);
    return 1;
}

/* Fills u with the passwd line of name; 0 when there is none. */
static int find_user(const char *passwd, const char *name, struct user *u) {
    const char *line = passwd;
    while (line != NULL && *line != '\0') {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        char copy[1024];
        if (len < sizeof copy) {
            memcpy(copy, line, len);
            copy[len] = '\0';
            char *f[7];
            int n = 0;
            char *s = copy;
            for (; n < 7; n++) {
                f[n] = s;
                char *colon = strchr(s, ':');
                if (colon == NULL) {
                    n++;
                    break;
                }
                *colon = '\0';
                s = colon + 1;
            }
            unsigned long uid, gid;
            if (n == 7 && strcmp(f[0], name) == 0 && parse_id(f[2], &uid) && parse_id(f[3], &gid) && f[5][0] == '/'
                    && strlen(f[5]) < sizeof u->home && strlen(f[0]) < sizeof u->name) {
                snprintf(u->name, sizeof u->name, "%s", f[0]);
                u->uid = (uid_t)uid;
                u->gid = (gid_t)gid;
                snprintf(u->home, sizeof u->home, "%s", f[5]);
                return 1;
            }
        }
        line = end != NULL ? end + 1 : NULL;
    }
    return 0;
}

/* Fills u with the passwd line of uid (the agent's own user); "" and "/" when there is none. */
static void own_user(const char *passwd, uid_t uid, struct user *u) {
    memset(u, 0, sizeof *u);
    u->uid = uid;
    u->gid = getegid();
    strcpy(u->home, "/");
    for (const char *line = passwd; line != NULL && *line != '\0';) {
        const char *colon = strchr(line, ':');
        const char *end = strchr(line, '\n');
        if (colon != NULL && (end == NULL || colon < end) && (size_t)(colon - line) < sizeof u->name) {
            char name[sizeof u->name];
            memcpy(name, line, (size_t)(colon - line));
            name[colon - line] = '\0';
            struct user found;
            if (find_user(line, name, &found) && found.uid == uid) {
                *u = found;
                return;
            }
        }
        line = end != NULL ? end + 1 : NULL;
    }
}

/* The user's groups: the primary one and those /etc/group lists it in, at most MAX_GROUPS. */
static int user_groups(const struct user *u, gid_t *groups) {
    int n = 0;
    groups[n++] = u->gid;
    char *text = read_etc("group");
    if (text == NULL)
        return n;
    for (char *line = strtok(text, "\n"); line != NULL && n < MAX_GROUPS; line = strtok(NULL, "\n")) {
        char *f[4];
        int k = 0;
        char *s = line;
        for (; k < 4 && s != NULL; k++) {
            f[k] = s;
            char *colon = strchr(s, ':');
            if (colon != NULL)
                *colon = '\0';
            s = colon != NULL ? colon + 1 : NULL;
        }
        unsigned long gid;
        if (k < 4 || !parse_id(f[2], &gid) || (gid_t)gid == u->gid)
            continue;
        for (char *m = strtok_r(f[3], ",", &s); m != NULL; m = strtok_r(NULL, ",", &s)) {
            if (strcmp(m, u->name) == 0) {
                groups[n++] = (gid_t)gid;
                break;
            }
        }
    }
    free(text);
    return n;
}

/* --- processes --- */

static void fail_start(struct proc *p, const char *what, int err) {
    if (err != 0)
        snprintf(p->failed, sizeof p->failed, "%s: %s", what, strerror(err));
    else
        snprintf(p->failed, sizeof p->failed, "%s", what);
    p->failed_pending = 1;
}

/* The child: becomes the user, in its own session, and runs the program; reports an errno on err_pipe if it cannot. */
static void run_child(const struct user *u, char **env, char **argv, int in_fd, int out_fd, int err_fd, int err_pipe) {
    sigprocmask(SIG_UNBLOCK, &blocked, NULL);
    signal(SIGPIPE, SIG_DFL);
    setsid();
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
        goto failed;
    int keep = err_pipe;
    for (int fd = 3; fd < 1024; fd++)
        if (fd != keep)
            close(fd);
    if (geteuid() == 0) {
        gid_t groups[MAX_GROUPS];
        int n = user_groups(u, groups);
        if (setgroups((size_t)n, groups) < 0 || setgid(u->gid) < 0 || setuid(u->uid) < 0)
            goto failed;
    } else if (u->uid != geteuid()) {
        errno = EPERM;
        goto failed;
    }
    if (chdir(u->home) < 0 && chdir("/") < 0)
        goto failed;
    execve(argv[0], argv, env);
failed:;
    int err = errno;
    ssize_t ignored = write(err_pipe, &err, sizeof err);
    (void)ignored;
    _exit(127);
}

static void start(struct proc *p, const unsigned char *payload, size_t len) {
    memset(p, 0, sizeof *p);
    p->used = 1;
    p->in_fd = p->out_fd[0] = p->out_fd[1] = -1;
    p->credit[0] = p->credit[1] = QAGENT_WINDOW;
    if (len < 3 || payload[len - 1] != '\0') {
        fail_start(p, "a malformed START", 0);
        return;
    }
    int n_env = payload[0], n_args = payload[1];
    if (n_env > QAGENT_MAX_STRINGS || n_args < 1 || n_args > QAGENT_MAX_STRINGS) {
        fail_start(p, "a START with too many or no arguments", 0);
        return;
    }
    char *strings[1 + 2 * QAGENT_MAX_STRINGS + 2];
    int count = 0;
    for (size_t i = 2; i < len; i += strlen((const char *)payload + i) + 1) {
        if (count == 1 + n_env + n_args) {
            fail_start(p, "a START with more strings than it counts", 0);
            return;
        }
        strings[count++] = (char *)payload + i;
    }
    if (count != 1 + n_env + n_args) {
        fail_start(p, "a START with fewer strings than it counts", 0);
        return;
    }
    char *user_name = strings[0];
    char **given_env = strings + 1;
    char **argv = strings + 1 + n_env;
    if (argv[0][0] != '/') {
        fail_start(p, "a program that is not an absolute path", 0);
        return;
    }
    argv[n_args] = NULL;

    struct user u;
    char *passwd = read_etc("passwd");
    int found = 0;
    if (geteuid() != 0) {
        /* an agent that is not root runs everything as its own user, the default (lite starts it so) */
        own_user(passwd != NULL ? passwd : "", geteuid(), &u);
        found = user_name[0] == '\0' || strcmp(user_name, u.name) == 0;
        if (!found) {
            free(passwd);
            snprintf(p->failed, sizeof p->failed, "the agent runs as '%s' and cannot switch to '%.64s'", u.name, user_name);
            p->failed_pending = 1;
            return;
        }
    } else if (user_name[0] != '\0') {
        found = passwd != NULL && find_user(passwd, user_name, &u);
    } else {
        found = passwd != NULL && (find_user(passwd, "user", &u) || find_user(passwd, "root", &u));
    }
    free(passwd);
    if (!found && user_name[0] == '\0') {
        memset(&u, 0, sizeof u);
        strcpy(u.name, "root");
        strcpy(u.home, "/root");
        found = 1;
    }
    if (!found) {
        snprintf(p->failed, sizeof p->failed, "no user '%.64s' in this qube", user_name);
        p->failed_pending = 1;
        return;
    }

    /* HOME, USER, LOGNAME and PATH are the agent's to set; the rest come from dom0 */
    static char env_store[4][300];
    char *env[QAGENT_MAX_STRINGS + 5];
    int e = 0;
    snprintf(env_store[0], sizeof env_store[0], "HOME=%s", u.home);
    snprintf(env_store[1], sizeof env_store[1], "USER=%s", u.name);
    snprintf(env_store[2], sizeof env_store[2], "LOGNAME=%s", u.name);
    snprintf(env_store[3], sizeof env_store[3], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for (int i = 0; i < 4; i++)
        env[e++] = env_store[i];
    for (int i = 0; i < n_env; i++) {
        const char *eq = strchr(given_env[i], '=');
        if (eq == NULL || eq == given_env[i]) {
            fail_start(p, "an environment entry without NAME=", 0);
            return;
        }
        size_t k = (size_t)(eq - given_env[i]);
        if ((k == 4 && (!strncmp(given_env[i], "HOME", 4) || !strncmp(given_env[i], "USER", 4) || !strncmp(given_env[i], "PATH", 4)))
                || (k == 7 && !strncmp(given_env[i], "LOGNAME", 7)))
            continue;
        env[e++] = given_env[i];
    }
    env[e] = NULL;

    int in[2], out[2], err[2], status[2];
    if (pipe2(in, O_CLOEXEC) < 0) {
        fail_start(p, "pipe", errno);
        return;
    }
    if (pipe2(out, O_CLOEXEC) < 0) {
        close(in[0]), close(in[1]);
        fail_start(p, "pipe", errno);
        return;
    }
    if (pipe2(err, O_CLOEXEC) < 0) {
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        fail_start(p, "pipe", errno);
        return;
    }
    if (pipe2(status, O_CLOEXEC) < 0) {
        close(in[0]), close(in[1]), close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        fail_start(p, "pipe", errno);
        return;
    }
    pid_t pid = fork();
    if (pid == 0)
        run_child(&u, env, argv, in[0], out[1], err[1], status[1]);
    int fork_errno = errno;
    close(in[0]);
    close(out[1]);
    close(err[1]);
    close(status[1]);
    if (pid < 0) {
        close(in[1]), close(out[0]), close(err[0]), close(status[0]);
        fail_start(p, "fork", fork_errno);
        return;
    }
    int child_errno = 0;
    ssize_t got;
    do {
        got = read(status[0], &child_errno, sizeof child_errno);
    } while (got < 0 && errno == EINTR);
    close(status[0]);
    if (got == sizeof child_errno) {
        close(in[1]), close(out[0]), close(err[0]);
        waitpid(pid, NULL, 0);
        char what[600];
        snprintf(what, sizeof what, "cannot run %.400s as %s", argv[0], u.name);
        fail_start(p, what, child_errno);
        return;
    }
    p->pid = pid;
    p->in_fd = in[1];
    p->out_fd[0] = out[0];
    p->out_fd[1] = err[0];
    set_nonblocking(p->in_fd);
    set_nonblocking(p->out_fd[0]);
    set_nonblocking(p->out_fd[1]);
    p->started_pending = 1;
}

static void close_fd(int *fd) {
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static void free_proc(struct proc *p) {
    close_fd(&p->in_fd);
    close_fd(&p->out_fd[0]);
    close_fd(&p->out_fd[1]);
    free(p->in_buf);
    memset(p, 0, sizeof *p);
    p->in_fd = p->out_fd[0] = p->out_fd[1] = -1;
}

/* Every process of the ended stream: its group killed, it reaped, its slot freed. */
static void end_all(void) {
    for (int i = 0; i < QAGENT_MAX_PROCESSES; i++) {
        struct proc *p = &procs[i];
        if (!p->used)
            continue;
        if (p->pid > 0) {
            kill(-p->pid, SIGKILL);
            if (!p->reaped)
                waitpid(p->pid, NULL, 0);
        }
        free_proc(p);
    }
}

static void reap(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < QAGENT_MAX_PROCESSES; i++) {
            struct proc *p = &procs[i];
            if (p->used && p->pid == pid && !p->reaped) {
                p->reaped = 1;
                p->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
        }
    }
}

/* Writes what waits for a program's stdin; what it no longer reads is dropped. Either way it is granted back. */
static void feed(struct proc *p) {
    while (p->in_off < p->in_len && p->in_fd >= 0) {
        ssize_t n = write(p->in_fd, p->in_buf + p->in_off, p->in_len - p->in_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            close_fd(&p->in_fd);
            break;
        }
        p->in_off += (size_t)n;
        p->in_grant += (uint32_t)n;
    }
    if (p->in_fd < 0 && p->in_off < p->in_len) {
        p->in_grant += (uint32_t)(p->in_len - p->in_off);
        p->in_off = p->in_len;
    }
    if (p->in_off == p->in_len) {
        p->in_off = p->in_len = 0;
        if (p->in_eof)
            close_fd(&p->in_fd);
    }
}

/* Handles one frame from dom0; -1 when dom0 broke the protocol (the stream is then ended). */
static int handle(int type, int id, const unsigned char *payload, size_t len) {
    if (id >= QAGENT_MAX_PROCESSES)
        return -1;
    struct proc *p = &procs[id];
    switch (type) {
    case QAGENT_START:
        if (p->used)
            return -1;
        start(p, payload, len);
        return 0;
    case QAGENT_STDIN:
        if (!p->used || p->in_eof || p->failed_pending)
            return 0;
        if (len == 0 || (p->in_len - p->in_off) + p->in_grant + len > QAGENT_WINDOW)
            return -1;
        if (p->in_buf == NULL && (p->in_buf = malloc(QAGENT_WINDOW)) == NULL)
            return -1;
        if (p->in_len + len > QAGENT_WINDOW) {
            memmove(p->in_buf, p->in_buf + p->in_off, p->in_len - p->in_off);
            p->in_len -= p->in_off;
            p->in_off = 0;
        }
        memcpy(p->in_buf + p->in_len, payload, len);
        p->in_len += len;
        feed(p);
        return 0;
    case QAGENT_STDIN_EOF:
        if (p->used && !p->failed_pending) {
            p->in_eof = 1;
            feed(p);
        }
        return 0;
    case QAGENT_KILL:
        if (p->used && p->pid > 0)
            kill(-p->pid, SIGKILL);
        return 0;
    case QAGENT_GRANT: {
        if (len != 5 || (payload[0] != QAGENT_STREAM_STDOUT && payload[0] != QAGENT_STREAM_STDERR))
            return -1;
        if (!p->used)
            return 0;
        uint32_t *credit = &p->credit[payload[0] - 1];
        uint32_t more = get32(payload + 1);
        if (more > QAGENT_WINDOW || *credit + more > QAGENT_WINDOW)
            return -1;
        *credit += more;
        return 0;
    }
    default:
        return -1;
    }
}

/* Queues the control frames that wait, as far as the queue has room. */
static void emit_pending(void) {
    unsigned char b[5];
    for (int i = 0; i < QAGENT_MAX_PROCESSES && room() >= CONTROL_ROOM * 2; i++) {
        struct proc *p = &procs[i];
        if (!p->used)
            continue;
        if (p->failed_pending) {
            emit(QAGENT_FAILED, i, p->failed, strlen(p->failed));
            free_proc(p);
            continue;
        }
        if (p->started_pending) {
            emit(QAGENT_STARTED, i, NULL, 0);
            p->started_pending = 0;
        }
        if (p->in_grant > 0) {
            put32(b, p->in_grant);
            emit(QAGENT_CREDIT, i, b, 4);
            p->in_grant = 0;
        }
        for (int s = 0; s < 2; s++) {
            if (p->eof_pending[s]) {
                b[0] = (unsigned char)(s + 1);
                emit(QAGENT_EOF, i, b, 1);
                p->eof_pending[s] = 0;
            }
        }
        if (p->reaped && p->out_fd[0] < 0 && p->out_fd[1] < 0) {
            put32(b, (uint32_t)p->status);
            emit(QAGENT_EXIT, i, b, 4);
            free_proc(p);
        }
    }
}

/* Reads a program's stdout or stderr into one frame, within dom0's credit. */
static void drain(struct proc *p, int id, int s) {
    size_t want = p->credit[s];
    if (want > QAGENT_MAX_PAYLOAD)
        want = QAGENT_MAX_PAYLOAD;
    if (want == 0 || room() < QAGENT_HEADER_BYTES + want + CONTROL_ROOM * 2)
        return;
    static unsigned char chunk[QAGENT_MAX_PAYLOAD];
    ssize_t n = read(p->out_fd[s], chunk, want);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        close_fd(&p->out_fd[s]);
        p->eof_pending[s] = 1;
        return;
    }
    emit(s == 0 ? QAGENT_STDOUT : QAGENT_STDERR, id, chunk, (size_t)n);
    p->credit[s] -= (uint32_t)n;
}

/* Serves one stream until it ends or dom0 breaks the protocol. */
static void serve(int chan, int sigfd) {
    out_off = out_len = 0;
    r_have = 0;
    r_need = QAGENT_HEADER_BYTES;
    unsigned char hello[3 + 32] = {QAGENT_VERSION, QAGENT_MAX_PROCESSES, geteuid() == 0 ? QAGENT_SWITCHES_USERS : 0};
    size_t hello_len = 3;
    if (geteuid() != 0) {
        char *passwd = read_etc("passwd");
        struct user self;
        own_user(passwd != NULL ? passwd : "", geteuid(), &self);
        free(passwd);
        size_t n = strlen(self.name);
        memcpy(hello + 3, self.name, n);
        hello_len += n;
    }
    emit(QAGENT_HELLO, 0, hello, hello_len);
    set_nonblocking(chan);
    for (;;) {
        reap();
        emit_pending();
        struct pollfd fds[2 + 3 * QAGENT_MAX_PROCESSES];
        int who[2 + 3 * QAGENT_MAX_PROCESSES];
        int n = 0;
        fds[n].fd = chan;
        fds[n].events = POLLIN | (out_off < out_len ? POLLOUT : 0);
        who[n++] = -1;
        fds[n].fd = sigfd;
        fds[n].events = POLLIN;
        who[n++] = -1;
        for (int i = 0; i < QAGENT_MAX_PROCESSES; i++) {
            struct proc *p = &procs[i];
            if (!p->used || p->failed_pending)
                continue;
            if (p->in_fd >= 0 && p->in_off < p->in_len) {
                fds[n].fd = p->in_fd;
                fds[n].events = POLLOUT;
                who[n++] = i * 3;
            }
            for (int s = 0; s < 2; s++) {
                if (p->out_fd[s] >= 0 && p->credit[s] > 0 && room() >= QAGENT_HEADER_BYTES + QAGENT_MAX_PAYLOAD + CONTROL_ROOM * 2) {
                    fds[n].fd = p->out_fd[s];
                    fds[n].events = POLLIN;
                    who[n++] = i * 3 + 1 + s;
                }
            }
        }
        if (poll(fds, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            logmsg("poll failed");
            return;
        }
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sigfd, &si, sizeof si) == sizeof si) {
            }
        }
        if (fds[0].revents & POLLOUT) {
            ssize_t w = write(chan, outq + out_off, out_len - out_off);
            if (w < 0 && errno != EAGAIN && errno != EINTR)
                return;
            if (w > 0)
                out_off += (size_t)w;
            if (out_off == out_len)
                out_off = out_len = 0;
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = read(chan, rbuf + r_have, r_need - r_have);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
                return;
            if (r > 0)
                r_have += (size_t)r;
            if (r_have == QAGENT_HEADER_BYTES && r_need == QAGENT_HEADER_BYTES) {
                size_t len = ((size_t)rbuf[3] << 8) | rbuf[4];
                if (len > QAGENT_MAX_PAYLOAD) {
                    logmsg("dom0 sent an oversized frame");
                    return;
                }
                r_need += len;
            }
            if (r_have == r_need) {
                int id = (rbuf[1] << 8) | rbuf[2];
                if (handle(rbuf[0], id, rbuf + QAGENT_HEADER_BYTES, r_need - QAGENT_HEADER_BYTES) < 0) {
                    logmsg("dom0 broke the protocol");
                    return;
                }
                r_have = 0;
                r_need = QAGENT_HEADER_BYTES;
            }
        }
        for (int k = 2; k < n; k++) {
            if (fds[k].revents == 0)
                continue;
            struct proc *p = &procs[who[k] / 3];
            int what = who[k] % 3;
            if (what == 0)
                feed(p);
            else if (p->out_fd[what - 1] >= 0)
                drain(p, who[k] / 3, what - 1);
        }
    }
}

static int open_channel(const char *path) {
    struct stat st;
    if (stat(path, &st) < 0)
        return -1;
    if (S_ISCHR(st.st_mode))
        return open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (!S_ISSOCK(st.st_mode))
        return -1;
    struct sockaddr_un addr;
    if (strlen(path) >= sizeof addr.sun_path)
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, path);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv) {
    static const char *const defaults[] = {QAGENT_SOCKET, QAGENT_PORT};
    const char *const *paths = argc > 1 ? (const char *const *)argv + 1 : defaults;
    int n_paths = argc > 1 ? argc - 1 : 2;
    const char *etc = getenv("QREXEC_AGENT_ETC");
    if (etc != NULL && etc[0] == '/')
        etc_dir = etc;
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGCHLD);
    sigprocmask(SIG_BLOCK, &blocked, NULL);
    int sigfd = signalfd(-1, &blocked, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigfd < 0) {
        logmsg("signalfd failed");
        return 1;
    }
    for (int i = 0; i < QAGENT_MAX_PROCESSES; i++)
        procs[i].in_fd = procs[i].out_fd[0] = procs[i].out_fd[1] = -1;
    struct timespec pause = {0, 250 * 1000 * 1000};
    for (;;) {
        int chan = -1;
        for (int i = 0; i < n_paths && chan < 0; i++)
            chan = open_channel(paths[i]);
        if (chan >= 0) {
            serve(chan, sigfd);
            close(chan);
            end_all();
        }
        nanosleep(&pause, NULL);
    }
}
