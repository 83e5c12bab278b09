package dev.bulkhead.backend.xen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.backend.xen.internal.XenDomain.Mode;
import dev.bulkhead.fuzz.Fuzz;

/**
 * Random values in every field of a qube's spec at once: the result is a refusal naming one of the properties, with a
 * bounded printable message, or XML that parses to the structure of the same qube with plain values, every value at
 * its place.
 */
class DomainXmlFuzzTest {
    private static final Set<String> SUBJECTS = Set.of("name", "netvm", "ip", "kernelopts", "memory", "maxmem", "vcpus", "qid",
            "volume private");
    private static final DomainXml WRITER = DomainXmlTest.writer();

    record Input(String name, String netvm, String address, String kernelopts, String directory, int memory, int maxmem,
            int vcpus, int qid, Mode mode) {
    }

    @Test
    void anyValuesAreRefusedByPropertyOrWrittenAsData() {
        Fuzz.forAll(20261205L, 3000, DomainXmlFuzzTest::input, DomainXmlFuzzTest::check);
    }

    /** A random service name for a channel: refused naming the channel, or the channel's name in the XML, as data. */
    @Test
    void anyChannelServiceIsRefusedNamingTheChannelOrWrittenAsData() {
        XenDomain domain = new XenDomains(DomainXmlTest.DOMAINS, DomainXmlTest.KERNELS, Mode.PV)
                .of(new DomainSpec("work", 5, QubeClass.AppVM, 400, 400, 1, "", false, List.of()), List.of(), false);
        DomainXml writer = DomainXmlTest.channelWriter();
        Fuzz.forAll(20261206L, 2000, r -> field(r, "gui"), service -> {
            Path socket;
            try {
                socket = DomainXmlTest.CHANNELS.resolve("work." + service);
            } catch (InvalidPathException e) {
                return;
            }
            String xml;
            try {
                xml = writer.write(domain, List.of(new DomainXml.Channel(service, socket)));
            } catch (InvalidValueException e) {
                assertTrue(e.subject().equals("channel") || e.subject().startsWith("socket of channel "), e.subject());
                DomainXmlHostileTest.assertBounded(e);
                return;
            }
            ParsedXml parsed = new ParsedXml(xml);
            assertEquals(1, parsed.count("/domain/devices/channel"));
            assertEquals(DomainXml.CHANNEL_PREFIX + service, parsed.text("/domain/devices/channel/target/@name"));
            assertEquals(socket.toString(), parsed.text("/domain/devices/channel/source/@path"));
        });
    }

    private static Input input(Random r) {
        return new Input(field(r, "work"), field(r, "sys-net"), field(r, "10.137.0.12"), field(r, "quiet"), field(r, "work"),
                number(r, 400), number(r, 4000), number(r, 2), number(r, 12), Fuzz.oneOf(r, Mode.PV, Mode.PVH));
    }

    /** Half the time a plain value, so that one hostile field at a time reaches the writer too. */
    private static String field(Random r, String plain) {
        return switch (r.nextInt(4)) {
            case 0, 1 -> plain;
            case 2 -> Fuzz.hostileString(r, 64);
            default -> Fuzz.hostileString(r, 12_000);
        };
    }

    private static int number(Random r, int plain) {
        return switch (r.nextInt(4)) {
            case 0, 1 -> plain;
            case 2 -> Fuzz.oneOf(r, 0, -1, 1, 31, 32, 128, 129, 65_535, 65_536, 1 << 20, (1 << 20) + 1, Integer.MAX_VALUE,
                    Integer.MIN_VALUE);
            default -> r.nextInt();
        };
    }

    private static DomainSpec spec(Input in) {
        return new DomainSpec(in.name(), in.qid(), QubeClass.AppVM, in.memory(), in.maxmem(), in.vcpus(), in.kernelopts(), false,
                List.of(VolumeSpec.snapshotOf("root", DomainXmlTest.TEMPLATE, 1 << 30),
                        VolumeSpec.persistent("private", DomainXmlTest.DATA.resolve("qubes").resolve(in.directory()).resolve("private"),
                                1 << 30, 0)));
    }

    private static void check(Input in) {
        DomainSpec spec;
        try {
            spec = spec(in);
        } catch (InvalidPathException e) {
            return;
        }
        List<LinkSpec> links = List.of(new LinkSpec(in.name(), in.qid(), in.netvm(), in.address(), "10.137.0.1"));
        XenDomains domains = new XenDomains(DomainXmlTest.DOMAINS, DomainXmlTest.KERNELS, in.mode());
        String xml;
        try {
            xml = WRITER.write(domains.of(spec, links, false));
        } catch (InvalidValueException e) {
            assertTrue(SUBJECTS.contains(e.subject()), "refused naming a property: " + e.subject());
            DomainXmlHostileTest.assertBounded(e);
            return;
        }
        ParsedXml parsed = new ParsedXml(xml);
        Input plain = new Input("work", "sys-net", "10.137.0.12", "quiet", "work", 400, 4000, 2, 12, in.mode());
        assertEquals(new ParsedXml(WRITER.write(domains.of(spec(plain),
                List.of(new LinkSpec("work", 12, "sys-net", "10.137.0.12", "10.137.0.1")), false))).structure(), parsed.structure());
        assertEquals(in.name(), parsed.text("/domain/name"));
        assertEquals(in.netvm(), parsed.text("/domain/devices/interface/backenddomain/@name"));
        assertEquals(in.address(), parsed.text("/domain/devices/interface/ip/@address"));
        assertTrue(parsed.text("/domain/os/cmdline").endsWith(" " + in.kernelopts()), "the command line ends with kernelopts");
        assertEquals(Integer.toString(in.maxmem() == 0 ? in.memory() : in.maxmem()), parsed.text("/domain/memory"));
        assertEquals(Integer.toString(in.memory()), parsed.text("/domain/currentMemory"));
        assertEquals(Integer.toString(in.vcpus()), parsed.text("/domain/vcpu"));
        assertEquals(DomainXmlTest.DATA.resolve("qubes").resolve(in.directory()).resolve("private/private.img").toString(),
                parsed.text("/domain/devices/disk[target/@dev='xvdb']/source/@file"));
        assertTrue(Path.of(parsed.text("/domain/devices/disk[target/@dev='xvdb']/source/@file")).normalize()
                .startsWith(DomainXmlTest.DATA.resolve("qubes")), "the disk is under the volumes' directory");
    }
}
