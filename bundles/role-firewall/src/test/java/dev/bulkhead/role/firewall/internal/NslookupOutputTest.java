package dev.bulkhead.role.firewall.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class NslookupOutputTest {
    static final String BUSYBOX = """
            Server:		10.139.1.1
            Address:	10.139.1.1:53

            Non-authoritative answer:
            Name:	example.test
            Address: 203.0.113.10

            Non-authoritative answer:
            Name:	example.test
            Address: 2001:db8::10

            """;

    @Test
    void answersOfBusyboxOldBusyboxAndBindAreRead() {
        assertEquals(List.of("203.0.113.10", "2001:db8::10"), NslookupOutput.addresses(BUSYBOX));
        assertEquals(List.of("203.0.113.10", "2001:db8::10"), NslookupOutput.addresses("""
                Server:    10.139.1.1
                Address 1: 10.139.1.1

                Name:      example.test
                Address 1: 203.0.113.10 www.example.test
                Address 2: 2001:db8::10 www.example.test
                """));
        assertEquals(List.of("203.0.113.10"), NslookupOutput.addresses("""
                Server:		127.0.0.53
                Address:	127.0.0.53#53

                Non-authoritative answer:
                www.example.test	canonical name = example.test.
                Name:	example.test
                Address: 203.0.113.10
                """));
    }

    @Test
    void noAnswerIsNoAddress() {
        assertEquals(List.of(), NslookupOutput.addresses("Server:\t\t10.139.1.1\nAddress:\t10.139.1.1:53\n\n"
                + "** server can't find nowhere.test: NXDOMAIN\n"));
        assertEquals(List.of(), NslookupOutput.addresses(";; connection timed out; no servers could be reached\n"));
        assertEquals(List.of("2001:db8::1"), NslookupOutput.addresses("Name: x\nAddress: 1.2.3\nAddress: cafe\nAddress: 300.1.1.1\n"
                + "Address: 1.2.3.4.5\nAddress: 2001:db8::1\n"), "only what is an address goes into the filter");
    }

    @Test
    void severalLookupsAreReadByName() {
        assertEquals(Map.of("example.test", List.of("203.0.113.10", "2001:db8::10"), "nowhere.test", List.of()),
                NslookupOutput.sections("### example.test\n" + BUSYBOX + "### nowhere.test\n** server can't find nowhere.test: NXDOMAIN\n"));
    }
}
