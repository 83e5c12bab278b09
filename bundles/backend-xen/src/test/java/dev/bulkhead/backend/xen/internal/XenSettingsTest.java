package dev.bulkhead.backend.xen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.Settings;
import dev.bulkhead.backend.xen.internal.XenDomain.Mode;

class XenSettingsTest {
    private static XenSettings of(Map<String, ?> properties, String home) {
        return XenSettings.of(Settings.of(XenBackend.Config.class, properties), home);
    }

    @Test
    void theDefaultsAreTheLocalDom0AndTheInstallationsKernels() {
        XenSettings s = of(Map.of(), "/opt/bulkhead");

        assertEquals("xen:///system", s.uri());
        assertTrue(s.local());
        assertEquals(Path.of("/opt/bulkhead/images/xen"), s.kernelDirectory());
        assertEquals(Mode.PVH, s.paravirt());
        assertEquals(Duration.ofSeconds(5), s.keepalive());
        assertEquals(3, s.keepaliveCount());
        assertEquals(Duration.ofSeconds(10), s.shutdownGrace());
    }

    @Test
    void remoteUrisAreTakenAndAreNotLocal() {
        for (String uri : List.of("xen+ssh://root@dom0.example/system", "xen+tls://dom0.example/system",
                "xen+tcp://127.0.0.1:16509/system")) {
            XenSettings s = of(Map.of("uri", uri, "kernelDirectory", "/srv/xen"), null);
            assertEquals(uri, s.uri());
            assertFalse(s.local(), uri);
        }
        assertTrue(of(Map.of("uri", "xen+unix:///system"), "/opt/b").local());
    }

    @Test
    void aUriOfAnotherDriverOrMalformedIsRefusedNamingTheSetting() {
        for (String uri : List.of("qemu:///system", "test:///default", "xen:///session", "xen://", "", " ", "xen:///system\n",
                "xen:///sys tem", "x".repeat(10_000), "xen+ssh://h/system?x=\u0000")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> of(Map.of("uri", uri), "/opt/b"),
                    DomainValues.shown(uri));
            assertTrue(e.getMessage().startsWith("uri '"), e.getMessage());
            assertTrue(e.getMessage().length() < 300 && e.getMessage().chars().noneMatch(c -> c < 0x20), e.getMessage());
        }
    }

    @Test
    void otherSettingsOutOfRangeAreRefusedNamingThem() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> of(Map.of("paravirtMode", "hvm"), "/b")).getMessage()
                .startsWith("paravirtMode"));
        assertEquals(Mode.PV, of(Map.of("paravirtMode", "pv"), "/b").paravirt());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> of(Map.of("keepaliveSeconds", 0), "/b")).getMessage()
                .startsWith("keepaliveSeconds"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> of(Map.of("keepaliveCount", 0), "/b")).getMessage()
                .startsWith("keepaliveCount"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> of(Map.of("shutdownGraceSeconds", -1), "/b")).getMessage()
                .startsWith("shutdownGraceSeconds"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> of(Map.of("kernelDirectory", "relative/dir"), "/b"))
                .getMessage().startsWith("kernelDirectory"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> of(Map.of("kernelDirectory", "/a/../b"), "/b"))
                .getMessage().startsWith("kernelDirectory"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> of(Map.of(), null)).getMessage().startsWith("kernelDirectory"));
    }
}
