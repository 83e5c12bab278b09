package dev.bulkhead.shell.client;

/** What a {@link Frame} carries; the code is its first byte on the wire. */
public enum FrameType {
    /** Client to platform: the command line, UTF-8. */
    COMMAND(0),
    /** Platform to client: bytes the command wrote to its standard output. */
    STDOUT(1),
    /** Platform to client: bytes the command wrote to its standard error. */
    STDERR(2),
    /** Platform to client, last: the command's exit status, a 4-byte big-endian int. */
    EXIT(3);

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
        throw new ProtocolException("unknown frame type " + code + "; known types are 0 to 3");
    }
}
