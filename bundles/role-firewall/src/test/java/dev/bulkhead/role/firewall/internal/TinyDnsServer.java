package dev.bulkhead.role.firewall.internal;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A DNS server for tests, run as its own process inside a scratch namespace: answers A queries for
 * the names it is given, has no other records (an empty answer), and says NXDOMAIN for any other
 * name. Arguments: the address to listen on, then NAME=IPV4 pairs. Prints {@code ready} once bound.
 */
public final class TinyDnsServer {
    private TinyDnsServer() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, byte[]> records = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String[] pair = args[i].split("=", 2);
            records.put(pair[0], InetAddress.getByName(pair[1]).getAddress());
        }
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(args[0]), 53))) {
            System.out.println("ready");
            System.out.flush();
            byte[] buffer = new byte[512];
            while (true) {
                DatagramPacket query = new DatagramPacket(buffer, buffer.length);
                socket.receive(query);
                byte[] answer = answer(query.getData(), query.getLength(), records);
                if (answer != null) {
                    socket.send(new DatagramPacket(answer, answer.length, query.getSocketAddress()));
                }
            }
        }
    }

    /** The answer to one query with one question, or {@code null} for anything else. */
    static byte[] answer(byte[] q, int length, Map<String, byte[]> records) {
        if (length < 12 || (q[4] << 8 | q[5] & 0xff) != 1) {
            return null;
        }
        StringBuilder name = new StringBuilder();
        int at = 12;
        while (at < length && q[at] != 0) {
            int label = q[at] & 0xff;
            if (label > 63 || at + 1 + label > length) {
                return null;
            }
            name.append(name.length() == 0 ? "" : ".").append(new String(q, at + 1, label, StandardCharsets.US_ASCII));
            at += 1 + label;
        }
        int questionEnd = at + 5;
        if (questionEnd > length) {
            return null;
        }
        int type = (q[at + 1] & 0xff) << 8 | q[at + 2] & 0xff;
        byte[] address = records.get(name.toString().toLowerCase(Locale.ROOT));
        boolean answers = address != null && type == 1;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(q[0]);
        out.write(q[1]);
        out.write(0x81); // response, recursion desired
        out.write(address == null ? 0x83 : 0x80); // recursion available; NXDOMAIN for an unknown name
        out.write(0);
        out.write(1);
        out.write(0);
        out.write(answers ? 1 : 0);
        out.write(0);
        out.write(0);
        out.write(0);
        out.write(0);
        out.write(q, 12, questionEnd - 12);
        if (answers) {
            out.writeBytes(new byte[] { (byte) 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 });
            out.writeBytes(address);
        }
        return out.toByteArray();
    }
}
