package dev.bulkhead.backend.lite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;

class OciConfigTest {
    private static final Path ROOTFS = Path.of("/data/lite/rootfs");
    private static final Path NETNS = Path.of("/run/netns/bh-abcdef-work");
    private static final Path PRIVATE = Path.of("/data/qubes/work/private");
    /** Where the backend mounts the private volume's image while the qube runs. */
    private static final Path PRIVATE_MOUNT = Path.of("/data/lite/domains/work/volumes/private");

    private final ObjectMapper json = new ObjectMapper();
    private final OciConfig oci = new OciConfig(json);

    @Test
    void theQubeGetsItsOwnNamespacesAndJoinsItsNamedNetns() {
        JsonNode namespaces = config(spec(400)).path("linux").path("namespaces");

        assertEquals(List.of("pid", "network", "ipc", "uts", "mount"), texts(namespaces, "type"));
        assertEquals(NETNS.toString(), namespaces.get(1).path("path").asText());
        assertTrue(namespaces.get(0).path("path").isMissingNode(), "a fresh pid namespace");
    }

    @Test
    void theRootIsReadOnlyAndTheHostnameIsTheQubesName() {
        JsonNode config = config(spec(400));

        assertEquals(ROOTFS.toString(), config.path("root").path("path").asText());
        assertTrue(config.path("root").path("readonly").asBoolean());
        assertEquals("work", config.path("hostname").asText());
    }

    @Test
    void aWritableRootIsGivenWritable() {
        Path overlay = Path.of("/data/lite/domains/work/volumes/root");
        DomainSpec spec = spec(400, VolumeSpec.snapshotOf(VolumeSpec.ROOT, Path.of("/data/qubes/tpl/root"), 0));

        JsonNode root = json.valueToTree(oci.forDomain(spec, overlay, false, PRIVATE_MOUNT, PRIVATE_MOUNT.resolve("home"), null, NETNS, "/bulkhead-abcdef/work"))
                .path("root");

        assertEquals(overlay.toString(), root.path("path").asText());
        assertFalse(root.path("readonly").asBoolean());
    }

    @Test
    void thePrivateVolumeIsWritableAtRwAndItsHomeAtHome() {
        JsonNode rw = mount(config(spec(400)), "/rw");
        JsonNode home = mount(config(spec(400)), "/home");

        assertEquals(PRIVATE_MOUNT.toString(), rw.path("source").asText());
        assertEquals(List.of("bind", "rw", "nosuid", "nodev"), texts(rw.path("options")));
        assertEquals(PRIVATE_MOUNT.resolve("home").toString(), home.path("source").asText());
        assertEquals("bind", home.path("type").asText());
    }

    @Test
    void aQubesOwnUsrLocalIsTheUsrlocalOfItsPrivateVolumeWritableAfterTheRoot() {
        Path usrLocal = PRIVATE_MOUNT.resolve("usrlocal");
        JsonNode config = oci.forDomain(spec(400), ROOTFS, true, PRIVATE_MOUNT, PRIVATE_MOUNT.resolve("home"), usrLocal, NETNS,
                "/bulkhead-abcdef/work");

        JsonNode mount = mount(config, "/usr/local");
        assertEquals(usrLocal.toString(), mount.path("source").asText());
        assertEquals(List.of("bind", "rw", "nosuid", "nodev"), texts(mount.path("options")));
        assertEquals("/usr/local", texts(config.path("mounts"), "destination").get(10));
    }

    @Test
    void withoutAUsrlocalTheRootsOwnUsrLocalStays() {
        assertFalse(texts(config(spec(400)).path("mounts"), "destination").contains("/usr/local"));
    }

    @Test
    void aReadOnlyPrivateVolumeIsMountedReadOnly() {
        DomainSpec spec = new DomainSpec("work", 5, QubeClass.DispVM, 400, 400, 1, "", false,
                List.of(new VolumeSpec(VolumeSpec.PRIVATE, PRIVATE, true, false, 0)));

        assertTrue(texts(mount(config(spec), "/rw").path("options")).contains("ro"));
    }

    @Test
    void withoutAPrivateVolumeRwAndHomeAreThrowaway() {
        DomainSpec spec = new DomainSpec("work", 5, QubeClass.DispVM, 400, 400, 1, "", false, List.of());
        JsonNode config = oci.forDomain(spec, ROOTFS, true, null, null, null, NETNS, "/bulkhead-abcdef/work");

        assertEquals("tmpfs", mount(config, "/rw").path("type").asText());
        assertEquals("tmpfs", mount(config, "/home").path("type").asText());
    }

    @Test
    void kernelFilesystemsAndScratchSpaceAreMountedAsRuncSpecDoes() {
        JsonNode config = config(spec(400));

        assertEquals(List.of("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/tmp", "/run", "/rw", "/home"),
                texts(config.path("mounts"), "destination"));
        assertTrue(texts(mount(config, "/sys").path("options")).contains("ro"));
        assertEquals("tmpfs", mount(config, "/tmp").path("type").asText());
        assertEquals("tmpfs", mount(config, "/run").path("type").asText());
        assertEquals("devpts", mount(config, "/dev/pts").path("type").asText());
    }

    @Test
    void memoryBecomesTheCgroupLimitInBytes() {
        JsonNode linux = config(spec(400)).path("linux");

        assertEquals(400L * 1024 * 1024, linux.path("resources").path("memory").path("limit").asLong());
        assertEquals("/bulkhead-abcdef/work", linux.path("cgroupsPath").asText());
    }

    @Test
    void noMemoryMeansNoLimit() {
        assertTrue(config(spec(0)).path("linux").path("resources").path("memory").isMissingNode());
    }

    @Test
    void theProcessIsTheInitWithFewCapabilitiesAndNoNewPrivileges() {
        JsonNode process = config(spec(400)).path("process");

        assertEquals(List.of("/bin/sh", OciConfig.INIT), texts(process.path("args")));
        assertTrue(process.path("noNewPrivileges").asBoolean());
        assertFalse(process.path("terminal").asBoolean());
        for (String set : List.of("bounding", "effective", "permitted", "ambient")) {
            assertEquals(List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETGID"),
                    texts(process.path("capabilities").path(set)));
        }
        assertEquals(List.of(OciConfig.PATH), texts(process.path("env")));
    }

    @Test
    void aNetworkProviderMayChangeUserAndGetsTheTunDeviceAndAnAppVmNeither() {
        JsonNode provider = config(providerSpec());
        for (String set : List.of("bounding", "effective", "permitted", "ambient")) {
            assertEquals(List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_SETUID",
                    "CAP_SETGID"), texts(provider.path("process").path("capabilities").path(set)));
        }
        JsonNode devices = provider.path("linux").path("devices");
        assertEquals(1, devices.size());
        assertEquals(OciConfig.TUN, devices.get(0).path("path").asText());
        assertEquals("c", devices.get(0).path("type").asText());
        assertEquals(10, devices.get(0).path("major").asInt());
        assertEquals(200, devices.get(0).path("minor").asInt());
        JsonNode rules = provider.path("linux").path("resources").path("devices");
        assertEquals(2, rules.size());
        assertFalse(rules.get(0).path("allow").asBoolean(), "everything is denied first");
        assertTrue(rules.get(1).path("allow").asBoolean());
        assertEquals("c", rules.get(1).path("type").asText());
        assertEquals(10, rules.get(1).path("major").asInt());
        assertEquals(200, rules.get(1).path("minor").asInt());
        assertEquals("rwm", rules.get(1).path("access").asText());

        JsonNode appVm = config(spec(400));
        assertTrue(appVm.path("linux").path("devices").isMissingNode());
        assertEquals(1, appVm.path("linux").path("resources").path("devices").size());
    }

    @Test
    void kernelInterfacesAreMaskedOrReadOnly() {
        JsonNode linux = config(spec(400)).path("linux");

        assertTrue(texts(linux.path("maskedPaths")).containsAll(List.of("/proc/kcore", "/proc/keys", "/sys/firmware")));
        assertTrue(texts(linux.path("readonlyPaths")).containsAll(List.of("/proc/sys", "/proc/sysrq-trigger")));
        assertEquals("rprivate", linux.path("rootfsPropagation").asText());
    }

    @Test
    void theJsonIsWhatRuncReads() throws Exception {
        JsonNode parsed = json.readTree(oci.toJson(oci.forDomain(spec(400), ROOTFS, true, PRIVATE_MOUNT, PRIVATE_MOUNT.resolve("home"), null, NETNS,
                "/bulkhead-abcdef/work")));

        assertEquals("1.0.2", parsed.path("ociVersion").asText());
        assertEquals("work", parsed.path("hostname").asText());
    }

    private JsonNode config(DomainSpec spec) {
        return oci.forDomain(spec, ROOTFS, true, PRIVATE_MOUNT, PRIVATE_MOUNT.resolve("home"), null, NETNS, "/bulkhead-abcdef/work");
    }

    private static DomainSpec spec(int memoryMiB, VolumeSpec... extra) {
        List<VolumeSpec> volumes = new ArrayList<>(List.of(extra));
        volumes.add(new VolumeSpec(VolumeSpec.PRIVATE, PRIVATE, false, false, 0));
        return new DomainSpec("work", 5, QubeClass.AppVM, memoryMiB, memoryMiB, 1, "", false, volumes);
    }

    private static DomainSpec providerSpec() {
        DomainSpec plain = spec(400);
        return new DomainSpec("sys-vpn", 6, QubeClass.AppVM, 400, 400, 1, "", true, plain.volumes());
    }

    private static JsonNode mount(JsonNode config, String destination) {
        for (JsonNode m : config.path("mounts")) {
            if (m.path("destination").asText().equals(destination)) {
                return m;
            }
        }
        throw new AssertionError("no mount at " + destination);
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    private static List<String> texts(JsonNode array, String field) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.path(field).asText()));
        return values;
    }
}
