package dev.bulkhead.backend.xen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.event.DomainEventType;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.hypervisor.DomainChannels;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.backend.xen.internal.XenDomain.Mode;
import dev.bulkhead.testing.FakeHostCommands;

/** What the backend decides without a Xen: whether auto picks it, what it refuses before connecting, which events it tells. */
class XenBackendTest {
    @TempDir
    Path dir;

    private XenBackend backend(Path capabilities) {
        return backend(capabilities, "xen:///system");
    }

    private XenBackend backend(Path capabilities, String uri) {
        XenSettings settings = new XenSettings(uri, dir.resolve("kernels"), Mode.PVH, Duration.ofSeconds(5), 3,
                Duration.ofSeconds(1));
        return new XenBackend(dir.resolve("data"), settings, new FakeHostCommands(), capabilities);
    }

    @Test
    void autoPicksItOnlyOnADom0() throws IOException {
        Path caps = dir.resolve("capabilities");
        assertFalse(backend(caps).isSupported(), "no /proc/xen: not Xen");
        Files.writeString(caps, "");
        assertFalse(backend(caps).isSupported(), "a domU's capabilities are empty");
        Files.writeString(caps, "control_d\n");
        assertTrue(backend(caps).isSupported(), "dom0");
    }

    @Test
    void thisMachineIsNoDom0() {
        assertEquals(Files.exists(Path.of("/proc/xen/capabilities")), XenBackend.isDom0(XenBackend.XEN_CAPABILITIES));
    }

    @Test
    void aHostileSpecIsRefusedBeforeLibvirtIsAsked() {
        XenBackend xen = backend(dir.resolve("none"));
        DomainSpec spec = new DomainSpec("work</name>", 5, QubeClass.AppVM, 400, 400, 1, "", false, List.of());

        InvalidValueException e = assertThrows(InvalidValueException.class, () -> xen.start(spec));
        assertEquals("name", e.subject());
        DomainSpec opts = new DomainSpec("work", 5, QubeClass.AppVM, 400, 400, 1, "a\nb", false, List.of());
        assertEquals("kernelopts", assertThrows(InvalidValueException.class, () -> xen.start(opts)).subject());
    }

    @Test
    void aStartOnARemoteDom0WithDisksGoesToLibvirtForItsVolumesAndMakesNoFilesHere() {
        XenBackend xen = backend(dir.resolve("none"), "xen+tcp://127.0.0.1:1/system");
        DomainSpec spec = new DomainSpec("work", 5, QubeClass.AppVM, 400, 400, 1, "", false,
                List.of(VolumeSpec.snapshotOf(VolumeSpec.ROOT, dir.resolve("data/templates/debian"), 1 << 30),
                        VolumeSpec.fresh(VolumeSpec.VOLATILE, dir.resolve("data/qubes/work"), 1 << 30)));

        // Nothing listens on port 1: the volumes are the remote dom0's, asked of libvirt, which cannot be reached.
        AdminException e = assertThrows(AdminException.class, () -> xen.start(spec));
        assertFalse(e.getMessage().contains("disk files"), e.getMessage());
        assertTrue(e.getMessage().contains("xen+tcp://127.0.0.1:1/system"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("data/xen/domains/work")));
    }

    @Test
    void aStartOnARemoteDom0WithoutDisksGoesToLibvirtAndMakesNoFilesHere() {
        XenBackend xen = backend(dir.resolve("none"), "xen+tcp://127.0.0.1:1/system");
        DomainSpec spec = new DomainSpec("work", 5, QubeClass.AppVM, 400, 400, 1, "", false, List.of());

        // Nothing listens on port 1: the refusal is libvirt's, no longer the backend's about disk files.
        AdminException e = assertThrows(AdminException.class, () -> xen.start(spec));
        assertFalse(e.getMessage().contains("disk files"), e.getMessage());
        assertTrue(e.getMessage().contains("xen+tcp://127.0.0.1:1/system"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("data/xen/domains/work")));
    }

    @Test
    void aChannelOnARemoteDom0IsRefusedSayingWhyAfterItsNamesAreChecked() {
        XenSettings settings = new XenSettings("xen+tcp://127.0.0.1:1/system", dir.resolve("kernels"), Mode.PVH,
                Duration.ofSeconds(5), 3, Duration.ofSeconds(1));
        XenBackend xen = new XenBackend(dir.resolve("data"), settings, new FakeHostCommands(), dir.resolve("none"),
                XenChannels.DEFAULT_DIRECTORY, List.of("gui", "qrexec"));

        assertEquals("service", assertThrows(InvalidValueException.class, () -> xen.openChannel("work", "../gui")).subject());
        assertEquals("domain", assertThrows(InvalidValueException.class, () -> xen.openChannel("work</name>", "gui")).subject());
        InvalidStateException e = assertThrows(InvalidStateException.class, () -> xen.openChannel("work", "gui"));
        assertTrue(e.getMessage().contains("remote dom0 of xen+tcp://127.0.0.1:1/system"), e.getMessage());
    }

    @Test
    void theProvidersBackendDeclaresTheChannelsOfItsSettings() {
        XenBackendProvider provider = new XenBackendProvider();
        HypervisorBackend defaults = provider.open(dir.resolve("data"),
                Map.of("uri", "xen+tcp://127.0.0.1:1/system", "kernelDirectory", "/usr/lib/xen-kernels"));
        HypervisorBackend one = provider.open(dir.resolve("data"),
                Map.of("uri", "xen+tcp://127.0.0.1:1/system", "kernelDirectory", "/usr/lib/xen-kernels", "channels", new String[] { "gui" }));

        InvalidValueException e = assertThrows(InvalidValueException.class, () -> ((DomainChannels) defaults).openChannel("work", "other"));
        assertTrue(e.getMessage().contains("[gui, qrexec, qrexec-agent]"), e.getMessage());
        e = assertThrows(InvalidValueException.class, () -> ((DomainChannels) one).openChannel("work", "qrexec"));
        assertTrue(e.getMessage().contains("[gui]"), e.getMessage());
    }

    @Test
    void aDomainThatStopsOrCrashesIsToldAndOtherEventsAreNot() {
        XenBackend xen = backend(dir.resolve("none"));
        List<String> exited = new CopyOnWriteArrayList<>();
        xen.addExitListener(exited::add);

        xen.lifecycle("work", DomainEventType.STARTED);
        xen.lifecycle("work", DomainEventType.STOPPED);
        xen.lifecycle("crashy", DomainEventType.CRASHED);

        assertEquals(List.of("work", "crashy"), exited);
    }
}
