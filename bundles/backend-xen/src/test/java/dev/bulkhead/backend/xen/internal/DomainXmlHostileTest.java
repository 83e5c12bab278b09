package dev.bulkhead.backend.xen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.backend.xen.internal.XenDomain.Mode;

/**
 * Hostile values in every field of a qube's spec: each is refused with a message naming the property, bounded and
 * without control characters, or is in the parsed XML verbatim, as data, with the document's structure unchanged.
 */
class DomainXmlHostileTest {
    static final List<String> HOSTILE = List.of("a\"b", "a'b", "<x>", "</name><name>evil", "a&b", "&amp;", "]]>",
            "<![CDATA[x]]>", "a\nb", "a\rb", "a\u0000b", "a\tb", "../../etc/passwd", "..", ".", "x".repeat(10_240),
            "q\u00fcbe", "\u65e5\u672c", "\u202egnp.exe", "\ud800", "\"/><disk type='block'/><x a=\"", "$(id)", "a b",
            "-", "", " ");

    private static final Path DATA = DomainXmlTest.DATA;
    private static final DomainXml WRITER = DomainXmlTest.writer();
    private static final XenDomains DOMAINS = new XenDomains(DomainXmlTest.DOMAINS, DomainXmlTest.KERNELS, Mode.PVH);

    record Case(String name, String netvm, String kernelopts, String privateDirectory, String address) {
        static Case base() {
            return new Case("work", "sys-net", "quiet", "work", "10.137.0.12");
        }

        DomainSpec spec() {
            return new DomainSpec(name, 12, QubeClass.AppVM, 400, 4000, 2, kernelopts, false,
                    List.of(VolumeSpec.snapshotOf("root", DomainXmlTest.TEMPLATE, 1 << 30),
                            VolumeSpec.persistent("private", DATA.resolve("qubes").resolve(privateDirectory).resolve("private"),
                                    1 << 30, 0)));
        }

        List<LinkSpec> links() {
            return List.of(new LinkSpec(name, 12, netvm, address, "10.137.0.1"));
        }
    }

    private static final List<String> BASE_STRUCTURE = parse(Case.base()).structure();

    private static ParsedXml parse(Case c) {
        return new ParsedXml(WRITER.write(DOMAINS.of(c.spec(), c.links(), false)));
    }

    @Test
    void aHostileNameIsRefusedNamingName() {
        everyValueRefusedOrVerbatim("name", v -> new Case(v, "sys-net", "", "work", "10.137.0.12"), "/domain/name");
    }

    @Test
    void aHostileNetvmIsRefusedNamingNetvm() {
        everyValueRefusedOrVerbatim("netvm", v -> new Case("work", v, "", "work", "10.137.0.12"),
                "/domain/devices/interface/backenddomain/@name");
    }

    @Test
    void aHostileAddressIsRefusedNamingIp() {
        everyValueRefusedOrVerbatim("ip", v -> new Case("work", "sys-net", "", "work", v), "/domain/devices/interface/ip/@address");
    }

    @Test
    void aHostileKernelCommandLineIsRefusedOrWrittenAsData() {
        int verbatim = everyValueRefusedOrVerbatim("kernelopts", v -> new Case("work", "sys-net", v, "work", "10.137.0.12"),
                "/domain/os/cmdline");
        assertTrue(verbatim >= 8, "quotes, '<', '&', ']]>' and '$(id)' are printable: kept as data, here " + verbatim);
    }

    @Test
    void aHostileVolumePathIsRefusedNamingTheVolume() {
        everyValueRefusedOrVerbatim("volume private", v -> new Case("work", "sys-net", "", v, "10.137.0.12"),
                "/domain/devices/disk[target/@dev='xvdb']/source/@file");
    }

    @Test
    void aHostileChannelServiceIsRefusedNamingChannel() {
        XenDomain domain = DOMAINS.of(Case.base().spec(), Case.base().links(), false);
        DomainXml writer = DomainXmlTest.channelWriter();
        List<String> structure = new ParsedXml(writer.write(domain, List.of(channel("gui")))).structure();
        int written = 0;
        for (String value : HOSTILE) {
            String xml;
            try {
                xml = writer.write(domain, List.of(channel(value)));
            } catch (InvalidPathException e) {
                continue; // Java refuses the path itself (a NUL): it never reaches the backend.
            } catch (InvalidValueException e) {
                assertTrue(e.subject().equals("channel") || e.subject().equals("socket of channel " + value),
                        "the refusal of " + DomainValues.shown(value) + " names the channel: " + e.getMessage());
                assertBounded(e);
                continue;
            }
            ParsedXml parsed = new ParsedXml(xml);
            assertEquals(structure, parsed.structure(), "the structure with " + DomainValues.shown(value));
            assertEquals(DomainXml.CHANNEL_PREFIX + value, parsed.text("/domain/devices/channel/target/@name"));
            written++;
        }
        assertEquals(1, written, "of the hostile values only '-' is a service name");
    }

    @Test
    void aHostileChannelSocketIsRefusedNamingTheChannel() {
        XenDomain domain = DOMAINS.of(Case.base().spec(), Case.base().links(), false);
        int written = 0;
        for (String value : HOSTILE) {
            Path socket;
            try {
                socket = DomainXmlTest.CHANNELS.resolve(value);
            } catch (InvalidPathException e) {
                continue; // Java refuses the path itself (a NUL): it never reaches the backend.
            }
            try {
                String xml = DomainXmlTest.channelWriter().write(domain, List.of(new DomainXml.Channel("gui", socket)));
                assertEquals(socket.toString(), new ParsedXml(xml).text("/domain/devices/channel/source/@path"));
                written++;
            } catch (InvalidValueException e) {
                assertEquals("socket of channel gui", e.subject(), e.getMessage());
                assertBounded(e);
            }
        }
        assertEquals(1, written, "of the hostile values only '-' makes a path in the channel directory");
    }

    private static DomainXml.Channel channel(String service) {
        return new DomainXml.Channel(service, DomainXmlTest.CHANNELS.resolve("work." + service));
    }

    @Test
    void aPathOutsideTheExpectedDirectoriesIsRefused() {
        DomainSpec spec = new DomainSpec("work", 12, QubeClass.AppVM, 400, 400, 1, "", false,
                List.of(VolumeSpec.persistent("private", Path.of("/etc"), 1 << 30, 0)));
        InvalidValueException e = refused(() -> WRITER.write(DOMAINS.of(spec, List.of(), false)));
        assertEquals("volume private", e.subject());
    }

    @Test
    void numbersOutOfRangeAreRefusedNamingTheProperty() {
        for (int[] memory : new int[][] { { 0, 400 }, { -1, 400 }, { 31, 400 }, { Integer.MAX_VALUE, Integer.MAX_VALUE } }) {
            DomainSpec spec = new DomainSpec("work", 1, QubeClass.AppVM, memory[0], memory[1], 1, "", false, List.of());
            assertEquals("memory", refused(() -> WRITER.write(DOMAINS.of(spec, List.of(), false))).subject());
        }
        DomainSpec huge = new DomainSpec("work", 1, QubeClass.AppVM, 400, Integer.MAX_VALUE, 1, "", false, List.of());
        assertEquals("maxmem", refused(() -> WRITER.write(DOMAINS.of(huge, List.of(), false))).subject());
        for (int vcpus : new int[] { 0, -1, 129, Integer.MIN_VALUE }) {
            DomainSpec spec = new DomainSpec("work", 1, QubeClass.AppVM, 400, 400, vcpus, "", false, List.of());
            assertEquals("vcpus", refused(() -> WRITER.write(DOMAINS.of(spec, List.of(), false))).subject());
        }
        for (int qid : new int[] { 0, -1, 65_536 }) {
            assertEquals("qid", refused(() -> XenDomains.vif(new LinkSpec("work", qid, "sys-net", "10.0.0.2", "10.0.0.1"))).subject());
        }
    }

    /**
     * Each hostile value in one field: refused naming {@code subject}, or written so that the XML parses to the base
     * case's structure with the value at {@code xpath}. Returns how many were written.
     */
    private static int everyValueRefusedOrVerbatim(String subject, Function<String, Case> withValue, String xpath) {
        int written = 0;
        for (String value : HOSTILE) {
            DomainSpec spec;
            List<LinkSpec> links;
            try {
                Case c = withValue.apply(value);
                spec = c.spec();
                links = c.links();
            } catch (InvalidPathException e) {
                continue; // Java refuses the path itself (a NUL): it never reaches the backend.
            }
            String xml;
            try {
                xml = WRITER.write(DOMAINS.of(spec, links, false));
            } catch (InvalidValueException e) {
                assertEquals(subject, e.subject(), "the refusal of " + DomainValues.shown(value) + " names the property: "
                        + e.getMessage());
                assertBounded(e);
                continue;
            }
            ParsedXml parsed = new ParsedXml(xml);
            assertEquals(BASE_STRUCTURE, parsed.structure(), "the structure with " + DomainValues.shown(value));
            String found = parsed.text(xpath);
            assertTrue(found.endsWith(value) || found.contains(value), "the value at " + xpath + " is " + DomainValues.shown(value)
                    + ", found " + DomainValues.shown(found));
            written++;
        }
        return written;
    }

    private static InvalidValueException refused(Runnable r) {
        try {
            r.run();
        } catch (InvalidValueException e) {
            assertBounded(e);
            return e;
        }
        return fail("not refused");
    }

    static void assertBounded(InvalidValueException e) {
        assertTrue(e.getMessage().length() < 400, "a bounded message: " + e.getMessage().length() + " characters");
        assertTrue(e.getMessage().chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f),
                "printable ASCII only: " + DomainValues.shown(e.getMessage()));
    }
}
