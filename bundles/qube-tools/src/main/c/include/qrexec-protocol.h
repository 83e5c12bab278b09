/*
 * The qrexec channel's protocol between qrexec-client-vm in a qube and dom0 (dom0's side:
 * bundles/qrexec/.../Frames.java, whose javadoc says the same). The qube connects to the unix socket
 * /run/bulkhead/channels/qrexec; each connection is one call. Every byte either way is in a frame:
 *
 *   frame := type:u8  length:u16 (big-endian)  payload[length]
 *
 * caller to dom0
 *   QREXEC_REQUEST  once, first: version:u8 (1), TARGET, NUL, SERVICE[+ARG]
 *   QREXEC_DATA     the caller's stdin, 1..65535 bytes; only after ACCEPTED
 *   QREXEC_EOF      empty: the caller's stdin ended
 * dom0 to caller
 *   QREXEC_ACCEPTED the target's real name (a disposable's dispN)
 *   QREXEC_REFUSED  empty, and the end
 *   QREXEC_DATA     the service's stdout
 *   QREXEC_EOF      empty: the service's stdout ended
 *   QREXEC_EXIT     status:s32 (big-endian), and the end
 *
 * Closing the connection before EXIT (without EOF) tells dom0 the caller went away: the service is killed.
 * TARGET: at most 64 bytes of A-Z a-z 0-9 _ - . : @; SERVICE[+ARG]: at most 95 bytes of A-Z a-z 0-9 _ - . +.
 */
#ifndef QREXEC_PROTOCOL_H
#define QREXEC_PROTOCOL_H

#define QREXEC_SOCKET "/run/bulkhead/channels/qrexec"

#define QREXEC_REQUEST 0x01
#define QREXEC_DATA 0x02
#define QREXEC_EOF 0x03
#define QREXEC_ACCEPTED 0x11
#define QREXEC_REFUSED 0x12
#define QREXEC_EXIT 0x13

#define QREXEC_VERSION 1
#define QREXEC_HEADER_BYTES 3
#define QREXEC_MAX_PAYLOAD 65535
#define QREXEC_MAX_TARGET 64
#define QREXEC_MAX_SERVICE 95

/* what a refused call prints and exits with, as in Qubes */
#define QREXEC_REFUSED_MESSAGE "Request refused"
#define QREXEC_REFUSED_STATUS 126

#endif
