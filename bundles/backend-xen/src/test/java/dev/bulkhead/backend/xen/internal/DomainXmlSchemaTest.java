package dev.bulkhead.backend.xen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.LinkSpec;

/**
 * Every combination's XML is a valid libvirt domain by libvirt's own RelaxNG schema, as {@code virt-xml-validate}
 * (Debian's libvirt-clients, with xmllint) checks it. CI installs it (.ci/run).
 */
class DomainXmlSchemaTest {
    private static final Path VALIDATE = Path.of("/usr/bin/virt-xml-validate");

    @TempDir
    static Path dir;

    @BeforeAll
    static void toolPresent() {
        assertTrue(Files.isExecutable(VALIDATE), "virt-xml-validate is not installed: apt-get install libvirt-clients libxml2-utils");
    }

    @ParameterizedTest(name = "{0} netvm={1} {2} maxmem={3}")
    @MethodSource("dev.bulkhead.backend.xen.internal.DomainXmlTest#combinations")
    void everyCombinationIsAValidLibvirtDomain(String mode, boolean netvm, DomainXmlTest.Kind kind, int maxmem) throws Exception {
        DomainSpec spec = new DomainSpec("work", 12, DomainXmlTest.klass(kind), 400, maxmem, 2,
                "quiet x=\"<a&b>\" ]]>", false, DomainXmlTest.volumes(kind, "work"),
                mode.equals("hvm") ? DomainSpec.HVM : DomainSpec.PVH);
        List<LinkSpec> links = netvm ? List.of(new LinkSpec("work", 12, "sys-firewall", "10.137.0.12", "10.137.0.1")) : List.of();

        String xml = DomainXmlTest.writer().write(DomainXmlTest.domains(mode).of(spec, links, true));

        assertEquals(0, validate(xml), xml);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void aDomainWithChannelsIsAValidLibvirtDomain(String mode) throws Exception {
        DomainSpec spec = new DomainSpec("work", 12, DomainXmlTest.klass(DomainXmlTest.Kind.APPVM), 400, 400, 1, "", false,
                DomainXmlTest.volumes(DomainXmlTest.Kind.APPVM, "work"), mode.equals("hvm") ? DomainSpec.HVM : DomainSpec.PVH);
        List<DomainXml.Channel> channels = List.of(new DomainXml.Channel("gui", DomainXmlTest.CHANNELS.resolve("work.gui")),
                new DomainXml.Channel("qrexec-agent", DomainXmlTest.CHANNELS.resolve("work.qrexec-agent")));

        String xml = DomainXmlTest.channelWriter().write(DomainXmlTest.domains(mode).of(spec, List.of(), false), channels);

        assertEquals(0, validate(xml), xml);
    }

    static List<String> modes() {
        return List.of("pv", "pvh", "hvm");
    }

    @Test
    void anInterfaceIsAValidLibvirtInterfaceOfADomain() throws Exception {
        String vif = DomainXmlTest.writer().writeInterface(
                XenDomains.vif(new LinkSpec("work", 12, "sys-net", "10.137.0.12", "10.137.0.1")));
        String body = vif.substring(vif.indexOf("<interface"));
        String xml = "<domain type='xen'><name>w</name><memory>131072</memory><os><type machine='xenpvh'>xenpvh</type>"
                + "<kernel>/k</kernel></os><devices>" + body + "</devices></domain>";

        assertEquals(0, validate(xml), xml);
    }

    /** The check can fail: a Xen domain with a machine libxl has not. */
    @Test
    void theValidatorRefusesAnUnknownMachine() throws Exception {
        String xml = "<domain type='xen'><name>w</name><memory>131072</memory><os><type machine='bogus'>xenpvh</type>"
                + "<kernel>/k</kernel></os></domain>";

        assertNotEquals(0, validate(xml));
    }

    private static int validate(String xml) throws IOException, InterruptedException {
        Path file = Files.createTempFile(dir, "domain", ".xml");
        Files.writeString(file, xml, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(VALIDATE.toString(), file.toString(), "domain").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("virt-xml-validate did not end");
        }
        return p.exitValue();
    }
}
