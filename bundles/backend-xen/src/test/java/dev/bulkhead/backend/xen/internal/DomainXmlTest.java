package dev.bulkhead.backend.xen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.LinkSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.backend.xen.internal.XenDomain.Mode;

/**
 * The domain XML of every combination of virt_mode, netvm, qube class and ballooning, read back by XPath: the type, the
 * boot, the memory, the disks with their formats and read-only flags, the interfaces.
 */
class DomainXmlTest {
    static final Path DATA = Path.of("/var/lib/bulkhead");
    static final Path DOMAINS = DATA.resolve("xen/domains");
    static final Path KERNELS = Path.of("/usr/lib/bulkhead/xen");
    static final Path TEMPLATE = DATA.resolve("qubes/debian/root");

    enum Kind { TEMPLATE_VM, STANDALONE, APPVM, DISPOSABLE }

    static Stream<Arguments> combinations() {
        List<Arguments> all = new ArrayList<>();
        for (String mode : List.of("pv", "pvh", "hvm")) {
            for (boolean netvm : List.of(false, true)) {
                for (Kind kind : Kind.values()) {
                    for (int maxmem : List.of(400, 4000)) {
                        all.add(Arguments.of(mode, netvm, kind, maxmem));
                    }
                }
            }
        }
        return all.stream();
    }

    static List<VolumeSpec> volumes(Kind kind, String name) {
        Path own = DATA.resolve("qubes").resolve(name);
        return switch (kind) {
            case TEMPLATE_VM, STANDALONE -> List.of(VolumeSpec.persistent("root", own.resolve("root"), 10L << 30, 1),
                    VolumeSpec.persistent("private", own.resolve("private"), 2L << 30, 0),
                    VolumeSpec.fresh("volatile", own.resolve("volatile"), 1L << 30));
            case APPVM -> List.of(VolumeSpec.snapshotOf("root", TEMPLATE, 10L << 30),
                    VolumeSpec.persistent("private", own.resolve("private"), 2L << 30, 0),
                    VolumeSpec.fresh("volatile", own.resolve("volatile"), 1L << 30));
            case DISPOSABLE -> List.of(VolumeSpec.snapshotOf("root", TEMPLATE, 10L << 30),
                    VolumeSpec.snapshotOf("private", DATA.resolve("qubes/dvm-template/private"), 2L << 30),
                    VolumeSpec.fresh("volatile", own.resolve("volatile"), 1L << 30));
        };
    }

    static QubeClass klass(Kind kind) {
        return switch (kind) {
            case TEMPLATE_VM -> QubeClass.TemplateVM;
            case STANDALONE -> QubeClass.StandaloneVM;
            case APPVM -> QubeClass.AppVM;
            case DISPOSABLE -> QubeClass.DispVM;
        };
    }

    static DomainXml writer() {
        return new DomainXml(List.of(DOMAINS, KERNELS, DATA.resolve("qubes")));
    }

    static XenDomains domains(String mode) {
        return new XenDomains(DOMAINS, KERNELS, mode.equals("pv") ? Mode.PV : Mode.PVH);
    }

    @ParameterizedTest(name = "{0} netvm={1} {2} maxmem={3}")
    @MethodSource("combinations")
    void everyCombinationIsTheDomainItDescribes(String mode, boolean netvm, Kind kind, int maxmem) {
        String name = "work";
        DomainSpec spec = new DomainSpec(name, 12, klass(kind), 400, maxmem, 2, "quiet", false, volumes(kind, name),
                mode.equals("hvm") ? DomainSpec.HVM : DomainSpec.PVH);
        List<LinkSpec> links = netvm ? List.of(new LinkSpec(name, 12, "sys-firewall", "10.137.0.12", "10.137.0.1")) : List.of();

        ParsedXml xml = new ParsedXml(writer().write(domains(mode).of(spec, links, true)));

        assertEquals("xen", xml.text("/domain/@type"));
        assertEquals(name, xml.text("/domain/name"));
        assertEquals(XenDomains.uuid(name).toString(), xml.text("/domain/uuid"));
        assertEquals(Integer.toString(maxmem), xml.text("/domain/memory"));
        assertEquals("MiB", xml.text("/domain/memory/@unit"));
        assertEquals("400", xml.text("/domain/currentMemory"));
        assertEquals("2", xml.text("/domain/vcpu"));
        String machine = switch (mode) {
            case "pv" -> "xenpv";
            case "pvh" -> "xenpvh";
            default -> "xenfv";
        };
        String osType = switch (mode) {
            case "pv" -> "linux";
            case "pvh" -> "xenpvh";
            default -> "hvm";
        };
        assertEquals(machine, xml.text("/domain/os/type/@machine"));
        assertEquals(osType, xml.text("/domain/os/type"));
        if (mode.equals("hvm")) {
            assertEquals(0, xml.count("/domain/os/kernel"));
            assertEquals(0, xml.count("/domain/os/cmdline"));
            assertEquals(2, xml.count("/domain/os/boot"));
            assertEquals("cdrom", xml.text("/domain/os/boot[1]/@dev"));
            assertEquals(1, xml.count("/domain/features/acpi"));
            assertEquals(1, xml.count("/domain/devices/disk[@device='cdrom']/readonly"));
        } else {
            assertEquals(KERNELS.resolve("vmlinuz").toString(), xml.text("/domain/os/kernel"));
            assertEquals(KERNELS.resolve("initrd.img").toString(), xml.text("/domain/os/initrd"));
            assertEquals("console=hvc0 root=/dev/xvda rw quiet", xml.text("/domain/os/cmdline"));
            assertEquals(0, xml.count("/domain/os/boot"));
            assertEquals(0, xml.count("/domain/devices/disk[@device='cdrom']"));
        }
        assertEquals(3, xml.count("/domain/devices/disk[@device='disk']"));
        assertEquals("xvda", xml.text("/domain/devices/disk[1]/target/@dev"));
        assertEquals("xen", xml.text("/domain/devices/disk[1]/target/@bus"));
        String root = xml.text("/domain/devices/disk[target/@dev='xvda']/source/@file");
        String rootFormat = xml.text("/domain/devices/disk[target/@dev='xvda']/driver/@type");
        String privateFile = xml.text("/domain/devices/disk[target/@dev='xvdb']/source/@file");
        switch (kind) {
            case TEMPLATE_VM, STANDALONE -> {
                assertEquals(DATA.resolve("qubes/work/root/root.img").toString(), root);
                assertEquals("raw", rootFormat);
            }
            case APPVM, DISPOSABLE -> {
                assertEquals(DOMAINS.resolve("work/root.qcow2").toString(), root, "an AppVM writes only into its overlay");
                assertEquals("qcow2", rootFormat);
            }
        }
        assertEquals(kind == Kind.DISPOSABLE ? DOMAINS.resolve("work/private.qcow2").toString()
                : DATA.resolve("qubes/work/private/private.img").toString(), privateFile);
        assertEquals(DOMAINS.resolve("work/volatile.img").toString(),
                xml.text("/domain/devices/disk[target/@dev='xvdc']/source/@file"));
        assertEquals(0, xml.count("/domain/devices/disk[@device='disk']/readonly"), "the volumes are writable");
        if (netvm) {
            assertEquals(1, xml.count("/domain/devices/interface"));
            assertEquals("ethernet", xml.text("/domain/devices/interface/@type"));
            assertEquals("00:16:3e:5e:00:0c", xml.text("/domain/devices/interface/mac/@address"));
            assertEquals("10.137.0.12", xml.text("/domain/devices/interface/ip/@address"));
            assertEquals("sys-firewall", xml.text("/domain/devices/interface/backenddomain/@name"));
        } else {
            assertEquals(0, xml.count("/domain/devices/interface"));
        }
        assertEquals("pty", xml.text("/domain/devices/console/@type"));
        assertEquals("xen", xml.text("/domain/devices/console/target/@type"));
        assertEquals("0", xml.text("/domain/devices/console/target/@port"));
        assertEquals("destroy", xml.text("/domain/on_poweroff"));
        assertEquals("destroy", xml.text("/domain/on_crash"));
    }

    @Test
    void aQubeWithoutVolumesBootsTheKernelAloneWithoutARootArgument() {
        DomainSpec spec = new DomainSpec("bare", 3, QubeClass.AppVM, 128, 128, 1, "", false, List.of());

        ParsedXml xml = new ParsedXml(writer().write(domains("pvh").of(spec, List.of(), false)));

        assertEquals(0, xml.count("/domain/devices/disk"));
        assertEquals("console=hvc0", xml.text("/domain/os/cmdline"));
    }

    @Test
    void anHvmQubeWithoutABootIsoBootsItsDiskOnly() {
        DomainSpec spec = new DomainSpec("other", 6, QubeClass.StandaloneVM, 512, 512, 1, "", false,
                volumes(Kind.STANDALONE, "other"), DomainSpec.HVM);

        ParsedXml xml = new ParsedXml(writer().write(domains("pvh").of(spec, List.of(), false)));

        assertEquals(0, xml.count("/domain/devices/disk[@device='cdrom']"));
        assertEquals(3, xml.count("/domain/devices/disk"));
    }

    @Test
    void anHvmQubeWithoutARootIsRefusedNamingVirtMode() {
        DomainSpec spec = new DomainSpec("other", 6, QubeClass.StandaloneVM, 512, 512, 1, "", false, List.of(), DomainSpec.HVM);

        InvalidValueException e = assertThrows(InvalidValueException.class, () -> domains("pvh").of(spec, List.of(), false));
        assertEquals("virt_mode", e.subject());
    }

    @Test
    void aReadOnlyVolumeIsGivenReadOnly() {
        DomainSpec spec = new DomainSpec("work", 5, QubeClass.AppVM, 400, 400, 1, "", false,
                List.of(new VolumeSpec("private", DATA.resolve("qubes/work/private"), true, false, 1 << 20, true, 0)));

        ParsedXml xml = new ParsedXml(writer().write(domains("pvh").of(spec, List.of(), false)));

        assertEquals(1, xml.count("/domain/devices/disk[target/@dev='xvdb']/readonly"));
    }

    @Test
    void maxmemBelowMemoryIsRefusedNamingMaxmem() {
        DomainSpec spec = new DomainSpec("work", 5, QubeClass.AppVM, 400, 300, 1, "", false, List.of());

        InvalidValueException e = assertThrows(InvalidValueException.class,
                () -> writer().write(domains("pvh").of(spec, List.of(), false)));
        assertEquals("maxmem", e.subject());
    }

    @Test
    void anInterfaceForAttachingIsOneInterfaceElement() {
        ParsedXml xml = new ParsedXml(writer().writeInterface(
                XenDomains.vif(new LinkSpec("work", 300, "sys-net", "10.137.0.44", "10.137.0.1"))));

        assertEquals(List.of("/interface[type]", "/interface/mac[address]", "/interface/ip[address, family]",
                "/interface/script[path]", "/interface/backenddomain[name]"), xml.structure());
        assertEquals("00:16:3e:5e:01:2c", xml.text("/interface/mac/@address"));
    }

    static final Path CHANNELS = DATA.resolve("channels");

    @Test
    void eachChannelIsAXenPvChannelOnAUnixSocketInDeclaredOrder() {
        DomainSpec spec = new DomainSpec("work", 5, QubeClass.AppVM, 400, 400, 1, "", false, List.of());
        List<DomainXml.Channel> channels = List.of(new DomainXml.Channel("gui", CHANNELS.resolve("work.gui")),
                new DomainXml.Channel("qrexec", CHANNELS.resolve("work.qrexec")));

        ParsedXml xml = new ParsedXml(channelWriter().write(domains("pv").of(spec, List.of(), false), channels));

        assertEquals(2, xml.count("/domain/devices/channel"));
        assertEquals(2, xml.count("/domain/devices/channel[@type='unix']/source[@mode='bind']"));
        assertEquals("dev.bulkhead.gui", xml.text("/domain/devices/channel[1]/target[@type='xen']/@name"));
        assertEquals(CHANNELS.resolve("work.gui").toString(), xml.text("/domain/devices/channel[1]/source/@path"));
        assertEquals("dev.bulkhead.qrexec", xml.text("/domain/devices/channel[2]/target[@type='xen']/@name"));
        assertEquals(CHANNELS.resolve("work.qrexec").toString(), xml.text("/domain/devices/channel[2]/source/@path"));
        assertEquals(1, xml.count("/domain/devices/console"), "the channels are no consoles of libvirt's");
        assertEquals(0, new ParsedXml(channelWriter().write(domains("pv").of(spec, List.of(), false))).count("/domain/devices/channel"));
    }

    @Test
    void channelsAreRefusedNamingWhatIsWrong() {
        XenDomain domain = domains("pv").of(new DomainSpec("work", 5, QubeClass.AppVM, 400, 400, 1, "", false, List.of()),
                List.of(), false);
        DomainXml.Channel gui = new DomainXml.Channel("gui", CHANNELS.resolve("work.gui"));

        assertEquals("channel", assertThrows(InvalidValueException.class,
                () -> channelWriter().write(domain, List.of(gui, new DomainXml.Channel("gui", CHANNELS.resolve("work.gui2"))))).subject());
        assertEquals("socket of channel gui", assertThrows(InvalidValueException.class,
                () -> channelWriter().write(domain, List.of(new DomainXml.Channel("gui", Path.of("/etc/work.gui"))))).subject());
        Path long108 = CHANNELS.resolve("x".repeat(108 - CHANNELS.toString().length()));
        assertEquals("socket of channel gui", assertThrows(InvalidValueException.class,
                () -> channelWriter().write(domain, List.of(new DomainXml.Channel("gui", long108)))).subject());
        List<DomainXml.Channel> many = new ArrayList<>();
        for (int i = 0; i <= DomainXml.MAX_CHANNELS; i++) {
            many.add(new DomainXml.Channel("s" + i, CHANNELS.resolve("work.s" + i)));
        }
        assertEquals("channels", assertThrows(InvalidValueException.class, () -> channelWriter().write(domain, many)).subject());
    }

    static DomainXml channelWriter() {
        return new DomainXml(List.of(DOMAINS, KERNELS, DATA.resolve("qubes"), CHANNELS));
    }

    @Test
    void theSameNameHasTheSameUuidAndAnotherNameAnother() {
        assertEquals(XenDomains.uuid("work"), XenDomains.uuid("work"));
        assertTrue(!XenDomains.uuid("work").equals(XenDomains.uuid("work2")));
    }
}
