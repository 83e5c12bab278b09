/*
 * The qrexec agent's protocol: dom0 starts and feeds the services called in a qube through the agent, over the
 * qube's channel "qrexec-agent" (lite: the unix socket /run/bulkhead/channels/qrexec-agent, which the agent
 * connects to; qemu: the virtio-serial port /dev/virtio-ports/dev.bulkhead.qrexec-agent, which it opens). dom0's
 * side is bundles/qrexec/.../AgentFrames.java and AgentConnection.java, whose javadoc says the same. ONE stream
 * carries every process; every byte either way is in a frame:
 *
 *   frame := type:u8  id:u16 (big-endian)  length:u16 (big-endian)  payload[length]     (length <= 32768)
 *
 * id is the process's, 0..63, chosen by dom0; HELLO's is 0.
 *
 * agent to dom0
 *   HELLO    first, on every (re)connection: version:u8 (1), max_processes:u8 (64), flags:u8 (bit 0: it can run
 *            programs as any user of the qube), then, when it cannot, the name of the one user it runs them as
 *            (at most 32 bytes: an agent that is not root, as lite starts it)
 *   STARTED  empty: START's program runs (in its own process group)
 *   FAILED   text (at most 512 bytes): START's program could not start; the id is free again
 *   STDOUT   1..32768 bytes of the program's stdout, at most dom0's credit for it
 *   STDERR   the same for stderr
 *   EOF      stream:u8 (1 stdout, 2 stderr): that stream ended
 *   EXIT     status:s32 (the exit code, or 128 + the signal): the last frame of the id, which is free again;
 *            sent once the program was reaped and both its streams ended
 *   CREDIT   bytes:u32: dom0 may send that many more bytes of STDIN
 * dom0 to agent
 *   START    n_env:u8, n_args:u8 (1..64 each, n_env 0..64), then NUL-terminated strings filling the payload:
 *            USER (empty: "user" when /etc/passwd has it, else root), n_env times NAME=VALUE, n_args times ARG
 *            (the first an absolute path); id must be free
 *   STDIN    1..32768 bytes for the program's stdin, at most the agent's credit
 *   STDIN_EOF empty: the program's stdin is closed once what came before is written
 *   KILL     empty: SIGKILL to the program's process group
 *   GRANT    stream:u8 (1, 2), bytes:u32: the agent may send that many more bytes of that stream
 *
 * Flow control: each of a process's three streams has a window of QAGENT_WINDOW bytes, open at START; a receiver
 * grants credit back as it hands bytes on (the agent once they are written to the program's stdin or dropped because
 * the program closed it; dom0 once its caller took them). A credit that would open a window beyond QAGENT_WINDOW,
 * or data beyond the credit, breaks the protocol. One slow caller so stalls only its own process.
 *
 * Frames for a free id are dropped by the agent (they crossed an EXIT); dom0 treats any malformed frame, unknown
 * type, id it did not start, or credit overflow from the agent as hostile and ends the stream (every process of the
 * qube fails). When the stream ends the agent kills every process group it started, and connects again.
 */
#ifndef QREXEC_AGENT_PROTOCOL_H
#define QREXEC_AGENT_PROTOCOL_H

#define QAGENT_SOCKET "/run/bulkhead/channels/qrexec-agent"
#define QAGENT_PORT "/dev/virtio-ports/dev.bulkhead.qrexec-agent"

#define QAGENT_HELLO 0x01
#define QAGENT_STARTED 0x02
#define QAGENT_FAILED 0x03
#define QAGENT_STDOUT 0x04
#define QAGENT_STDERR 0x05
#define QAGENT_EOF 0x06
#define QAGENT_EXIT 0x07
#define QAGENT_CREDIT 0x08

#define QAGENT_START 0x21
#define QAGENT_STDIN 0x22
#define QAGENT_STDIN_EOF 0x23
#define QAGENT_KILL 0x24
#define QAGENT_GRANT 0x25

#define QAGENT_VERSION 1
#define QAGENT_HEADER_BYTES 5
#define QAGENT_MAX_PAYLOAD 32768
#define QAGENT_MAX_PROCESSES 64
#define QAGENT_MAX_STRINGS 64
#define QAGENT_MAX_FAILED 512
#define QAGENT_WINDOW 65536

#define QAGENT_SWITCHES_USERS 0x01

#define QAGENT_STREAM_STDOUT 1
#define QAGENT_STREAM_STDERR 2

#endif
