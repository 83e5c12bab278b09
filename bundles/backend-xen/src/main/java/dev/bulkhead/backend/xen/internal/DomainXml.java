package dev.bulkhead.backend.xen.internal;

import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.hypervisor.ServiceNames;
import dev.bulkhead.backend.xen.internal.XenDomain.Disk;
import dev.bulkhead.backend.xen.internal.XenDomain.KernelBoot;
import dev.bulkhead.backend.xen.internal.XenDomain.Mode;
import dev.bulkhead.backend.xen.internal.XenDomain.Vif;

/**
 * Writes the libvirt domain XML (libxl driver, {@code <domain type='xen'>}) of a {@link XenDomain}. Every value is
 * checked by {@link DomainValues} first, and the XML is made by a stream writer, never by joining strings: a value is
 * always an attribute's value or an element's text, escaped by the writer, and cannot add or close an element.
 * <p>
 * The shape follows the domains Qubes OS defines: PV ({@code machine='xenpv'}, {@code linux}), PVH
 * ({@code machine='xenpvh'}, {@code xenpvh}) with the kernel, initramfs and command line given to the toolstack, or
 * HVM ({@code machine='xenfv'}, {@code hvm}) booting from CD-ROM then disk through hvmloader; one Xen console; every
 * end (power off, reboot, crash) destroys the domain, for the platform decides what happens next.
 */
final class DomainXml {
    /** Before each channel's service name, as the guest sees it: apart from any other Xen console's name. */
    static final String CHANNEL_PREFIX = "dev.bulkhead.";
    /** Most channels of one domain. */
    static final int MAX_CHANNELS = 16;
    /** Longest unix socket path: a {@code sockaddr_un}'s 108 bytes with the terminating NUL. */
    static final int MAX_SOCKET_PATH = 107;

    /** The script dom0 (or the netvm) runs for a vif: routes, no bridge, as Qubes' vif-route-qubes. */
    static final String VIF_SCRIPT = "vif-route";

    private final List<Path> fileRoots;

    /**
     * @param fileRoots the directories under which every file a domain is given (disks, kernels, firmware) must lie
     */
    DomainXml(List<Path> fileRoots) {
        this.fileRoots = List.copyOf(fileRoots);
    }

    /** The domain's XML, for {@code virDomainDefineXML}. */
    String write(XenDomain d) {
        return write(d, List.of());
    }

    /**
     * The domain's XML with a Xen PV channel per {@link Channel}: the guest sees each as a console of its own
     * ({@code /dev/hvc1}, {@code /dev/hvc2}... in the order given, its name in xenstore's {@code device/console/N/name}),
     * which QEMU in dom0 serves as a unix socket it listens on.
     */
    String write(XenDomain d, List<Channel> channels) {
        check(d);
        checkChannels(channels);
        return document(w -> domain(w, d, channels));
    }

    /**
     * A channel of the domain.
     *
     * @param service the platform's service name ({@link ServiceNames}); the guest sees {@value #CHANNEL_PREFIX}SERVICE
     * @param socket  the unix socket QEMU listens on in dom0, under one of the file roots
     */
    record Channel(String service, Path socket) {
        Channel {
            Objects.requireNonNull(service, "service");
            Objects.requireNonNull(socket, "socket");
        }

        /** The channel's name as the guest reads it in xenstore. */
        String name() {
            return CHANNEL_PREFIX + service;
        }
    }

    /** One network interface's XML, for attaching it to a running domain. */
    String writeInterface(Vif vif) {
        check(vif);
        return document(w -> vif(w, vif));
    }

    private void check(XenDomain d) {
        DomainValues.name("name", d.name());
        DomainValues.memory("memory", d.memoryMiB());
        DomainValues.memory("maxmem", d.maxmemMiB());
        if (d.maxmemMiB() < d.memoryMiB()) {
            throw new InvalidValueException("maxmem", d.maxmemMiB() + " MiB", "at least memory (" + d.memoryMiB() + " MiB)");
        }
        DomainValues.vcpus(d.vcpus());
        if (d.mode() == Mode.HVM) {
            if (d.boot().isPresent()) {
                throw new InvalidValueException("virt_mode", "hvm", "boots through its firmware: no kernel is given");
            }
        } else {
            KernelBoot boot = d.boot().orElseThrow(() -> new InvalidValueException("kernel", "none",
                    "a " + d.mode().name().toLowerCase(java.util.Locale.ROOT) + " domain needs a kernel"));
            DomainValues.path("kernel", boot.kernel(), fileRoots);
            boot.initramfs().ifPresent(p -> DomainValues.path("initramfs", p, fileRoots));
            DomainValues.cmdline(boot.cmdline());
        }
        if (d.disks().size() > DomainValues.MAX_DISKS) {
            throw new InvalidValueException("volumes", Integer.toString(d.disks().size()), "at most " + DomainValues.MAX_DISKS);
        }
        Set<String> targets = new HashSet<>();
        for (Disk disk : d.disks()) {
            DomainValues.name("volume name", disk.volume());
            String subject = "volume " + disk.volume();
            DomainValues.path(subject, disk.source(), fileRoots);
            DomainValues.target("device of " + subject, disk.target());
            if (!targets.add(disk.target())) {
                throw new InvalidValueException("device of " + subject, disk.target(), "a device no other volume has");
            }
            if (disk.cdrom() && d.mode() != Mode.HVM) {
                throw new InvalidValueException(subject, "cdrom", "a CD-ROM only for virt_mode hvm");
            }
        }
        if (d.interfaces().size() > DomainValues.MAX_INTERFACES) {
            throw new InvalidValueException("interfaces", Integer.toString(d.interfaces().size()),
                    "at most " + DomainValues.MAX_INTERFACES);
        }
        d.interfaces().forEach(this::check);
    }

    private void checkChannels(List<Channel> channels) {
        if (channels.size() > MAX_CHANNELS) {
            throw new InvalidValueException("channels", Integer.toString(channels.size()), "at most " + MAX_CHANNELS);
        }
        Set<String> services = new HashSet<>();
        for (Channel channel : channels) {
            try {
                ServiceNames.validate(channel.service());
            } catch (InvalidValueException e) {
                throw new InvalidValueException("channel", DomainValues.shown(channel.service()),
                        "a service name: 1 to " + ServiceNames.MAX_LENGTH + " letters, digits, '.', '_', '+' or '-', not starting with '.'");
            }
            if (!services.add(channel.service())) {
                throw new InvalidValueException("channel", channel.service(), "a service no other channel has");
            }
            String subject = "socket of channel " + channel.service();
            DomainValues.path(subject, channel.socket(), fileRoots);
            if (channel.socket().toString().length() > MAX_SOCKET_PATH) {
                throw new InvalidValueException(subject, DomainValues.shown(channel.socket().toString()),
                        "at most " + MAX_SOCKET_PATH + " characters (a unix socket's address), this has "
                                + channel.socket().toString().length());
            }
        }
    }

    private void check(Vif vif) {
        DomainValues.mac(vif.mac());
        DomainValues.ipv4("ip", vif.address());
        if (vif.backendDomain() != null) {
            DomainValues.name("netvm", vif.backendDomain());
        }
    }

    private static void domain(XMLStreamWriter w, XenDomain d, List<Channel> channels) throws XMLStreamException {
        w.writeStartElement("domain");
        w.writeAttribute("type", "xen");
        text(w, "name", d.name());
        if (d.uuid().isPresent()) {
            text(w, "uuid", d.uuid().get().toString());
        }
        // As Qubes: memory is the ceiling the balloon driver may reach, currentMemory what the domain starts with.
        w.writeStartElement("memory");
        w.writeAttribute("unit", "MiB");
        w.writeCharacters(Long.toString(d.maxmemMiB()));
        w.writeEndElement();
        w.writeStartElement("currentMemory");
        w.writeAttribute("unit", "MiB");
        w.writeCharacters(Long.toString(d.memoryMiB()));
        w.writeEndElement();
        w.writeStartElement("vcpu");
        w.writeAttribute("placement", "static");
        w.writeCharacters(Integer.toString(d.vcpus()));
        w.writeEndElement();
        os(w, d);
        if (d.mode() == Mode.HVM) {
            w.writeStartElement("features");
            w.writeEmptyElement("acpi");
            w.writeEmptyElement("apic");
            w.writeEmptyElement("pae");
            w.writeEndElement();
        }
        text(w, "on_poweroff", "destroy");
        text(w, "on_reboot", "destroy");
        text(w, "on_crash", "destroy");
        w.writeStartElement("devices");
        for (Disk disk : d.disks()) {
            disk(w, disk);
        }
        for (Vif vif : d.interfaces()) {
            vif(w, vif);
        }
        w.writeStartElement("console");
        w.writeAttribute("type", "pty");
        w.writeEmptyElement("target");
        w.writeAttribute("type", "xen");
        w.writeAttribute("port", "0");
        w.writeEndElement();
        for (Channel channel : channels) {
            channel(w, channel);
        }
        w.writeEndElement();
        w.writeEndElement();
    }

    /** libxl serves it through QEMU in dom0, which listens on the socket (the guest's console is the other end). */
    private static void channel(XMLStreamWriter w, Channel channel) throws XMLStreamException {
        w.writeStartElement("channel");
        w.writeAttribute("type", "unix");
        w.writeEmptyElement("source");
        w.writeAttribute("mode", "bind");
        w.writeAttribute("path", channel.socket().toString());
        w.writeEmptyElement("target");
        w.writeAttribute("type", "xen");
        w.writeAttribute("name", channel.name());
        w.writeEndElement();
    }

    private static void os(XMLStreamWriter w, XenDomain d) throws XMLStreamException {
        w.writeStartElement("os");
        w.writeStartElement("type");
        w.writeAttribute("arch", "x86_64");
        switch (d.mode()) {
            case PV -> {
                w.writeAttribute("machine", "xenpv");
                w.writeCharacters("linux");
            }
            case PVH -> {
                w.writeAttribute("machine", "xenpvh");
                w.writeCharacters("xenpvh");
            }
            case HVM -> {
                w.writeAttribute("machine", "xenfv");
                w.writeCharacters("hvm");
            }
        }
        w.writeEndElement();
        if (d.mode() == Mode.HVM) {
            // libxl's own hvmloader: no firmware path from outside.
            w.writeEmptyElement("boot");
            w.writeAttribute("dev", "cdrom");
            w.writeEmptyElement("boot");
            w.writeAttribute("dev", "hd");
        } else {
            KernelBoot boot = d.boot().orElseThrow();
            text(w, "kernel", boot.kernel().toString());
            if (boot.initramfs().isPresent()) {
                text(w, "initrd", boot.initramfs().get().toString());
            }
            if (!boot.cmdline().isEmpty()) {
                text(w, "cmdline", boot.cmdline());
            }
        }
        w.writeEndElement();
    }

    private static void disk(XMLStreamWriter w, Disk disk) throws XMLStreamException {
        w.writeStartElement("disk");
        w.writeAttribute("type", "file");
        w.writeAttribute("device", disk.cdrom() ? "cdrom" : "disk");
        w.writeEmptyElement("driver");
        w.writeAttribute("name", "qemu");
        w.writeAttribute("type", disk.format().driverType);
        w.writeEmptyElement("source");
        w.writeAttribute("file", disk.source().toString());
        w.writeEmptyElement("target");
        w.writeAttribute("dev", disk.target());
        w.writeAttribute("bus", disk.target().startsWith("hd") ? "ide" : "xen");
        if (disk.readOnly() || disk.cdrom()) {
            w.writeEmptyElement("readonly");
        }
        w.writeEndElement();
    }

    private static void vif(XMLStreamWriter w, Vif vif) throws XMLStreamException {
        w.writeStartElement("interface");
        w.writeAttribute("type", "ethernet");
        w.writeEmptyElement("mac");
        w.writeAttribute("address", vif.mac());
        w.writeEmptyElement("ip");
        w.writeAttribute("address", vif.address());
        w.writeAttribute("family", "ipv4");
        w.writeEmptyElement("script");
        w.writeAttribute("path", VIF_SCRIPT);
        if (vif.backendDomain() != null) {
            w.writeEmptyElement("backenddomain");
            w.writeAttribute("name", vif.backendDomain());
        }
        w.writeEndElement();
    }

    /** An element holding {@code value} as its text (escaped by the writer). */
    static void text(XMLStreamWriter w, String element, String value) throws XMLStreamException {
        w.writeStartElement(element);
        w.writeCharacters(value);
        w.writeEndElement();
    }

    /** What writes a document's elements. */
    interface Body {
        void write(XMLStreamWriter w) throws XMLStreamException;
    }

    private static String document(Body body) {
        return document("domain XML", body);
    }

    /** A document written by {@code body}; {@code what} names it in the error of a writer that fails. */
    static String document(String what, Body body) {
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter w = XMLOutputFactory.newDefaultFactory().createXMLStreamWriter(out);
            body.write(w);
            w.writeEndDocument();
            w.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write " + what + ": " + e.getMessage(), e);
        }
        return out.toString();
    }
}
