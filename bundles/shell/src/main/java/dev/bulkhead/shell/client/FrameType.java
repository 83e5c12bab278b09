package dev.bulkhead.shell.client;

/** What a {@link Frame} carries; the code is its first byte on the wire. */
public enum FrameType {
    /**
     * Client to platform: a command line, UTF-8, which the shell parses with its whole syntax
     * (sequences, pipes, redirections, variables, closures); {@code client -c} sends it.
     */
    COMMAND(0),
    /** Platform to client: bytes the command wrote to its standard output. */
    STDOUT(1),
    /** Platform to client: bytes the command wrote to its standard error. */
    STDERR(2),
    /** Platform to client, last: the command's exit status, a 4-byte big-endian int. */
    EXIT(3),
    /**
     * Client to platform: a command name and its arguments as an {@link ArgumentVector}; the command
     * gets each argument as it is, nothing in it is parsed.
     */
    ARGUMENTS(4);

    private final byte code;

    FrameType(int code) {
        this.code = (byte) code;
    }

    public byte code() {
        return code;
    }

    public static FrameType of(byte code) throws ProtocolException {
        for (FrameType type : values()) {
            if (type.code == code) {
                return type;
            }
        }
        throw new ProtocolException("unknown frame type " + code + "; known types are 0 to " + (values().length - 1));
    }
}
