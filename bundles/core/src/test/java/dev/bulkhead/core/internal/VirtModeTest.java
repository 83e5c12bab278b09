package dev.bulkhead.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.hypervisor.BootImages;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.VolumeSpec;

/**
 * virt_mode=hvm: a StandaloneVM whose root is a boot image of its own. A backend with {@link BootImages} keeps the image
 * in the root's storage and is told the virt mode at start; one without refuses the import and the start, naming itself.
 */
class VirtModeTest {
    @TempDir
    Path data;
    final FakeBackend fake = new FakeBackend();
    final List<String> installed = new CopyOnWriteArrayList<>();
    QubeAdminService admin;

    @AfterEach
    void close() {
        if (admin != null) {
            admin.deactivate();
        }
    }

    /** The fake as a backend named qemu that also keeps boot images, recording what it is given. */
    private HypervisorBackend withBootImages() {
        return (HypervisorBackend) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { HypervisorBackend.class, BootImages.class }, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "name":
                            return "qemu";
                        case "installBootImage":
                            installed.add(((VolumeSpec) args[0]).source() + " <- " + args[1]);
                            return "ISO 9660 image";
                        case "hasBootImage":
                            return !installed.isEmpty();
                        case "equals":
                            return proxy == args[0];
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "toString":
                            return "fake qemu";
                        default:
                            try {
                                return method.invoke(fake, args);
                            } catch (java.lang.reflect.InvocationTargetException e) {
                                throw e.getCause();
                            }
                    }
                });
    }

    private void boot(HypervisorBackend backend) throws IOException {
        admin = new QubeAdminService(data, QubeAdminServiceTest.config(backend.name()));
        admin.addBackend(backend);
        assertEquals(backend.name(), admin.backendName());
        admin.create(new QubeSpec("other", QubeClass.StandaloneVM, Label.RED, Map.of("virt_mode", "HVM")));
    }

    @Test
    void aBackendThatKeepsBootImagesIsGivenTheImageAndBootsTheRootItKeeps() throws IOException {
        boot(withBootImages());
        assertEquals("hvm", admin.get("other").properties().get("virt_mode").value());
        admin.importVolume("other", "root", Path.of("/images/other.iso"));
        Path root = data.resolve("qubes/other/root");
        assertEquals(List.of(root + " <- /images/other.iso"), installed);

        Files.createDirectories(root.resolve("current"));
        admin.start("other");
        DomainSpec spec = fake.specs.get("other");
        assertTrue(spec.hvm(), spec.toString());
        VolumeSpec rootSpec = spec.volume(VolumeSpec.ROOT).orElseThrow();
        assertEquals(root, rootSpec.source());
        assertTrue(rootSpec.saveOnStop() && !rootSpec.snapshot(), "its own root, kept: " + rootSpec);
    }

    @Test
    void aBackendWithoutBootImagesRefusesTheImageAndTheStartNamingItself() throws IOException {
        boot(fake);
        AdminException imported = assertThrows(InvalidStateException.class,
                () -> admin.importVolume("other", "root", Path.of("/images/other.iso")));
        assertTrue(imported.getMessage().contains("backend lite cannot boot an operating system of the qube's own"), imported.getMessage());
        AdminException start = assertThrows(AdminException.class, () -> admin.start("other"));
        assertTrue(start.getMessage().contains("backend lite cannot boot an operating system of the qube's own"), start.getMessage());
        assertFalse(fake.calls.contains("start other"), fake.calls.toString());
    }

    @Test
    void virtModeIsAStandaloneVmsPropertyOfTwoValues() throws IOException {
        boot(fake);
        assertThrows(InvalidValueException.class, () -> admin.setProperty("other", "virt_mode", "pv"));
        assertThrows(InvalidValueException.class,
                () -> admin.create(new QubeSpec("app", QubeClass.AppVM, Label.RED, Map.of("virt_mode", "hvm"))));
    }
}
