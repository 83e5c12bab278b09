/*
 * qrexec-client-vm TARGET SERVICE[+ARG] [LOCAL_PROGRAM [ARG...]]
 *
 * Asks dom0 for SERVICE in TARGET over the qube's qrexec channel (protocol: qrexec-protocol.h). Without
 * LOCAL_PROGRAM, stdin goes to the service's stdin and its stdout to stdout, and the exit status is the service's.
 * With it, LOCAL_PROGRAM runs with stdin = the service's stdout and stdout = the service's stdin, with
 * QREXEC_REMOTE_DOMAIN = the target's real name, and the exit status is the local program's. A refused call prints
 * "Request refused" and exits 126. Both directions are copied with a fixed buffer each, never blocking on one while
 * the other could move, so neither side's slowness deadlocks the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qrexec-protocol.h"

static void die(const char *what) {
    fprintf(stderr, "qrexec-client-vm: %s: %s\n", what, strerror(errno));
    exit(255);
}

static void fail(const char *what) {
    fprintf(stderr, "qrexec-client-vm: %s\n", what);
    exit(255);
}

static void write_all(int fd, const unsigned char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("cannot write to dom0");
        }
        data += n;
        len -= (size_t)n;
    }
}

static void read_all(int fd, unsigned char *data, size_t len) {
    while (len > 0) {
        ssize_t n = read(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die("cannot read from dom0");
        if (n == 0)
            fail("dom0 ended the call");
        data += n;
        len -= (size_t)n;
    }
}

static int valid(const char *s, size_t max, const char *extra) {
    size_t len = strlen(s);
    if (len == 0 || len > max)
        return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.' || strchr(extra, c) != NULL))
            return 0;
    }
    return 1;
}

static void set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static void set_blocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: qrexec-client-vm TARGET SERVICE[+ARG] [LOCAL_PROGRAM [ARG...]]\n");
        return 2;
    }
    const char *target = argv[1];
    const char *service = argv[2];
    if (!valid(target, QREXEC_MAX_TARGET, ":@") || !valid(service, QREXEC_MAX_SERVICE, "+")) {
        fprintf(stderr, "qrexec-client-vm: invalid target or service name\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        die("socket");
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    const char *path = getenv("QREXEC_SOCKET");
    if (path == NULL || path[0] == '\0')
        path = QREXEC_SOCKET;
    if (strlen(path) >= sizeof addr.sun_path)
        fail("the channel's path is too long");
    strcpy(addr.sun_path, path);
    if (connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0)
        die("cannot connect to dom0's qrexec channel " QREXEC_SOCKET);

    static unsigned char frame[QREXEC_HEADER_BYTES + QREXEC_MAX_PAYLOAD];
    size_t tlen = strlen(target), slen = strlen(service);
    size_t plen = 1 + tlen + 1 + slen;
    frame[0] = QREXEC_REQUEST;
    frame[1] = (unsigned char)(plen >> 8);
    frame[2] = (unsigned char)plen;
    frame[3] = QREXEC_VERSION;
    memcpy(frame + 4, target, tlen);
    frame[4 + tlen] = 0;
    memcpy(frame + 5 + tlen, service, slen);
    write_all(sock, frame, QREXEC_HEADER_BYTES + plen);

    unsigned char header[QREXEC_HEADER_BYTES];
    read_all(sock, header, sizeof header);
    size_t len = ((size_t)header[1] << 8) | header[2];
    if (header[0] == QREXEC_REFUSED) {
        fprintf(stderr, QREXEC_REFUSED_MESSAGE "\n");
        return QREXEC_REFUSED_STATUS;
    }
    if (header[0] != QREXEC_ACCEPTED || len == 0 || len > QREXEC_MAX_TARGET)
        fail("dom0 answered with an unexpected frame");
    char remote[QREXEC_MAX_TARGET + 1];
    read_all(sock, (unsigned char *)remote, len);
    remote[len] = '\0';

    int local_in = 0, local_out = 1;
    pid_t child = -1;
    if (argc > 3) {
        int to_child[2], from_child[2];
        if (pipe2(to_child, O_CLOEXEC) < 0 || pipe2(from_child, O_CLOEXEC) < 0)
            die("pipe");
        child = fork();
        if (child < 0)
            die("fork");
        if (child == 0) {
            dup2(to_child[0], 0);
            dup2(from_child[1], 1);
            setenv("QREXEC_REMOTE_DOMAIN", remote, 1);
            execvp(argv[3], argv + 3);
            fprintf(stderr, "qrexec-client-vm: cannot run %s: %s\n", argv[3], strerror(errno));
            _exit(127);
        }
        close(to_child[0]);
        close(from_child[1]);
        local_in = from_child[0];
        local_out = to_child[1];
    }
    set_nonblocking(sock);
    set_nonblocking(local_in);
    set_nonblocking(local_out);

    /* to dom0: a frame being sent; from dom0: a frame being read, and the DATA being written out */
    static unsigned char out[QREXEC_HEADER_BYTES + QREXEC_MAX_PAYLOAD];
    size_t out_len = 0, out_off = 0;
    static unsigned char in[QREXEC_HEADER_BYTES + QREXEC_MAX_PAYLOAD];
    size_t in_have = 0, in_need = QREXEC_HEADER_BYTES;
    size_t data_len = 0, data_off = 0;
    int local_in_open = 1, local_out_open = 1, local_out_broken = 0, exited = 0;
    int32_t status = 0;

    while (!exited) {
        struct pollfd fds[3];
        fds[0].fd = sock;
        fds[0].events = (data_off == data_len ? POLLIN : 0) | (out_off < out_len ? POLLOUT : 0);
        fds[1].fd = local_in_open && out_off == out_len ? local_in : -1;
        fds[1].events = POLLIN;
        fds[2].fd = data_off < data_len ? local_out : -1;
        fds[2].events = POLLOUT;
        if (poll(fds, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if (fds[0].revents & POLLOUT) {
            ssize_t n = write(sock, out + out_off, out_len - out_off);
            if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
                /* dom0 reads no more (the service ended): what it sent, the exit status included, is still to read */
                out_off = out_len;
                local_in_open = 0;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                die("cannot write to dom0");
            } else if (n > 0) {
                out_off += (size_t)n;
            }
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(local_in, out + QREXEC_HEADER_BYTES, QREXEC_MAX_PAYLOAD);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                n = 0; /* a broken stdin ends like an empty one */
            if (n >= 0) {
                out[0] = n > 0 ? QREXEC_DATA : QREXEC_EOF;
                out[1] = (unsigned char)(n >> 8);
                out[2] = (unsigned char)n;
                out_len = QREXEC_HEADER_BYTES + (size_t)n;
                out_off = 0;
                if (n == 0) {
                    local_in_open = 0;
                    if (local_in != 0)
                        close(local_in);
                }
            }
        }
        if (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)) {
            ssize_t n = write(local_out, in + QREXEC_HEADER_BYTES + data_off, data_len - data_off);
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                local_out_broken = 1; /* nobody reads the output any more: it is dropped */
                data_off = data_len;
            } else if (n > 0) {
                data_off += (size_t)n;
            }
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR) && data_off == data_len) {
            ssize_t n = read(sock, in + in_have, in_need - in_have);
            if (n == 0)
                fail("dom0 ended the call without an exit status");
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                die("cannot read from dom0");
            if (n > 0)
                in_have += (size_t)n;
            if (in_have == QREXEC_HEADER_BYTES && in_need == QREXEC_HEADER_BYTES) {
                in_need += ((size_t)in[1] << 8) | in[2];
            }
            if (in_have == in_need) {
                size_t plen2 = in_need - QREXEC_HEADER_BYTES;
                if (in[0] == QREXEC_DATA && plen2 > 0) {
                    data_len = local_out_broken ? 0 : plen2;
                    data_off = 0;
                } else if (in[0] == QREXEC_EOF && plen2 == 0) {
                    if (local_out_open) {
                        set_blocking(local_out);
                        close(local_out);
                        local_out_open = 0;
                    }
                } else if (in[0] == QREXEC_EXIT && plen2 == 4) {
                    status = (int32_t)(((uint32_t)in[3] << 24) | ((uint32_t)in[4] << 16) | ((uint32_t)in[5] << 8) | in[6]);
                    exited = 1;
                } else {
                    fail("dom0 sent an unexpected frame");
                }
                in_have = 0;
                in_need = QREXEC_HEADER_BYTES;
            }
        }
    }
    set_blocking(0);
    set_blocking(1);
    close(sock);
    if (child > 0) {
        if (local_in_open)
            close(local_in);
        if (local_out_open)
            close(local_out);
        int wstatus;
        while (waitpid(child, &wstatus, 0) < 0) {
            if (errno != EINTR)
                die("waitpid");
        }
        return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    }
    return status & 0xFF;
}
