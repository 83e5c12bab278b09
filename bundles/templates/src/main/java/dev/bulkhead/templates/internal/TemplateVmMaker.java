package dev.bulkhead.templates.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.hypervisor.VolumeSpec;
import dev.bulkhead.api.json.JsonMappers;
import dev.bulkhead.api.template.PayloadFile;
import dev.bulkhead.api.template.TemplateManifest;

/** The last step of an install: a checked, unpacked package becomes a TemplateVM and the store's record of it. */
final class TemplateVmMaker {
    private static final ObjectMapper JSON = JsonMappers.create();

    private final QubeAdmin admin;
    private final Path templates;

    TemplateVmMaker(QubeAdmin admin, Path templates) {
        this.admin = admin;
        this.templates = templates;
    }

    /** Makes the TemplateVM with the unpacked root, then keeps the package's record; the TemplateVM goes again if anything fails. */
    void make(PackageReader.Checked checked, Path staging, boolean allowUnknownKey) throws IOException {
        TemplateManifest manifest = checked.manifest();
        String name = manifest.name();
        admin.create(new QubeSpec(name, QubeClass.TemplateVM, Label.BLACK, Map.of()));
        try {
            String backend = admin.backendName();
            Path root = Files.isDirectory(staging.resolve(PackageReader.ROOT)) ? staging.resolve(PackageReader.ROOT)
                    : vmRoot(manifest, staging, backend);
            if (root != null) {
                admin.importVolume(name, VolumeSpec.ROOT, root);
            }
            Long privateSize = manifest.sizes().get(VolumeSpec.PRIVATE);
            if (privateSize != null && privateSize > admin.volume(name, VolumeSpec.PRIVATE).size()) {
                admin.resizeVolume(name, VolumeSpec.PRIVATE, privateSize);
            }
            Instant now = Instant.now();
            admin.setFeature(name, "template-name", name);
            admin.setFeature(name, "template-version", manifest.version());
            admin.setFeature(name, "template-key", checked.signature().keyId() + (checked.trusted() ? "" : " (untrusted)"));
            admin.setFeature(name, "template-installtime", now.toString());
            if (!manifest.built().isEmpty()) {
                admin.setFeature(name, "template-buildtime", manifest.built());
            }
            if (!manifest.summary().isEmpty()) {
                admin.setFeature(name, "template-summary", manifest.summary());
            }
            Path record = Files.createDirectory(staging.resolve("record"));
            StoreFiles.writeSynced(record.resolve(Manifests.MANIFEST), checked.manifestBytes());
            StoreFiles.writeSynced(record.resolve(Manifests.SIGNATURE), checked.signature().encode());
            ObjectNode installed = JSON.createObjectNode();
            installed.put("installed", now.toString());
            installed.put("key", checked.signature().keyId());
            installed.put("trusted", checked.trusted());
            installed.put("allow_unknown_key", allowUnknownKey);
            // the payload kept is this backend's
            installed.put("backend", backend);
            StoreFiles.writeSynced(record.resolve(TemplateRecords.RECORD), JSON.writeValueAsBytes(installed));
            Files.move(staging.resolve(PackageReader.PAYLOAD), record.resolve(PackageReader.PAYLOAD), StandardCopyOption.ATOMIC_MOVE);
            Files.move(record, templates.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            StoreFiles.syncDirectory(templates);
        } catch (IOException | RuntimeException e) {
            try {
                admin.remove(name);
            } catch (AdminException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * A VM backend's root: a directory with the root image (unpacked), kernel and initramfs the manifest gives that
     * backend, named root.img, vmlinuz and initrd.img (the payload stays as it came, for verify); null without a
     * root image for it.
     */
    private static Path vmRoot(TemplateManifest manifest, Path staging, String backend) throws IOException {
        Map<String, String> names = Map.of(PayloadFile.ROOT_IMAGE, "root.img", PayloadFile.KERNEL, "vmlinuz", PayloadFile.INITRAMFS, "initrd.img");
        List<PayloadFile> files = manifest.filesFor(backend);
        if (files.stream().noneMatch(f -> f.kind().equals(PayloadFile.ROOT_IMAGE))) {
            return null;
        }
        Path root = Files.createDirectory(staging.resolve("vm-root"));
        for (PayloadFile f : files) {
            String target = names.get(f.kind());
            if (f.kind().equals(PayloadFile.ROOT_IMAGE)) {
                RootImages.unpack(staging.resolve(PackageReader.PAYLOAD).resolve(f.name()), root.resolve(target), f.unpackedSize());
            } else if (target != null) {
                Files.copy(staging.resolve(PackageReader.PAYLOAD).resolve(f.name()), root.resolve(target));
            }
        }
        return root;
    }
}
