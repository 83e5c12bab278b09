package dev.bulkhead.shell.client;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The payload of an {@link FrameType#ARGUMENTS} frame: a command name and its arguments, each kept
 * apart so that the platform never parses them again. On the wire: a 4-byte big-endian count, then
 * for each string a 4-byte big-endian length and that many bytes of UTF-8.
 * <p>
 * Decoding is strict, because the bytes come from another process: a count or length that does not
 * fit, malformed UTF-8, a NUL character (no process argument can hold one), an empty command name
 * or bytes after the last argument are refused, each with a message naming the problem.
 */
public final class ArgumentVector {
    /** More arguments than this are refused; the frame's size bounds their total length. */
    public static final int MAX_ARGUMENTS = 4096;

    private static final int LENGTH_BYTES = Integer.BYTES;

    private ArgumentVector() {
    }

    /**
     * @throws IllegalArgumentException if there is no command name, too many arguments, an argument
     *         that is not well-formed Unicode or holds a NUL, or more bytes than a frame holds
     */
    public static byte[] encode(List<String> argv) {
        check(argv.size());
        List<byte[]> encoded = new ArrayList<>(argv.size());
        long size = LENGTH_BYTES;
        for (int i = 0; i < argv.size(); i++) {
            String argument = argv.get(i);
            if (argument == null) {
                throw new IllegalArgumentException(describe(i) + " is missing");
            }
            if (argument.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(describe(i) + " contains a NUL character");
            }
            if (i == 0 && argument.isEmpty()) {
                throw new IllegalArgumentException("the command name is empty");
            }
            try {
                ByteBuffer bytes = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(argument));
                byte[] array = new byte[bytes.remaining()];
                bytes.get(array);
                encoded.add(array);
                size += LENGTH_BYTES + array.length;
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException(describe(i) + " is not well-formed Unicode text");
            }
        }
        if (size > Frame.MAX_PAYLOAD) {
            throw new IllegalArgumentException("the command and its arguments take " + size + " bytes; at most "
                    + Frame.MAX_PAYLOAD + " fit in one request");
        }
        ByteBuffer payload = ByteBuffer.allocate((int) size).putInt(encoded.size());
        for (byte[] argument : encoded) {
            payload.putInt(argument.length).put(argument);
        }
        return payload.array();
    }

    /** The strings {@link #encode} wrote, or a {@link ProtocolException} naming what is wrong with them. */
    public static List<String> decode(byte[] payload) throws ProtocolException {
        ByteBuffer in = ByteBuffer.wrap(payload);
        try {
            int count = in.getInt();
            if (count < 1 || count > MAX_ARGUMENTS) {
                throw new ProtocolException("argument count " + count + " is outside 1 to " + MAX_ARGUMENTS);
            }
            List<String> argv = new ArrayList<>(Math.min(count, payload.length / LENGTH_BYTES));
            for (int i = 0; i < count; i++) {
                if (in.remaining() < LENGTH_BYTES) {
                    throw new ProtocolException("the request ends before " + describe(i) + " of " + count);
                }
                int length = in.getInt();
                if (length < 0 || length > in.remaining()) {
                    throw new ProtocolException(describe(i) + " has length " + length + " but " + in.remaining()
                            + " bytes remain");
                }
                ByteBuffer bytes = in.slice(in.position(), length);
                in.position(in.position() + length);
                argv.add(text(bytes, i));
            }
            if (in.hasRemaining()) {
                throw new ProtocolException(in.remaining() + " bytes follow the last of " + count + " arguments");
            }
            return argv;
        } catch (BufferUnderflowException e) {
            throw new ProtocolException("an argument request needs at least " + LENGTH_BYTES + " bytes, got " + payload.length);
        }
    }

    private static String text(ByteBuffer bytes, int index) throws ProtocolException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(describe(index) + " is not valid UTF-8");
        }
        if (text.indexOf('\0') >= 0) {
            throw new ProtocolException(describe(index) + " contains a NUL character");
        }
        if (index == 0 && text.isEmpty()) {
            throw new ProtocolException("the command name is empty");
        }
        return text;
    }

    private static void check(int count) {
        if (count < 1 || count > MAX_ARGUMENTS) {
            throw new IllegalArgumentException(count == 0 ? "no command name" : count + " arguments; at most " + MAX_ARGUMENTS);
        }
    }

    private static String describe(int index) {
        return index == 0 ? "the command name" : "argument " + index;
    }
}
