package dev.bulkhead.api.template;

import java.util.List;
import java.util.Objects;

/**
 * One payload file of a template package, as its manifest lists it.
 *
 * @param name         the file's name in the package
 * @param kind         {@value #ROOTFS} (a gzip-compressed tar of a root directory tree), {@value #KERNEL},
 *                     {@value #INITRAMFS} or {@value #ROOT_IMAGE} (a raw disk image, gzip-compressed)
 * @param backends     the backends that use it
 * @param size         its size in bytes
 * @param sha256       its SHA-256, in lower-case hex
 * @param unpackedSize for an archive, the bytes of the files it unpacks to; for a root image, the image's own size;
 *                     otherwise its size
 */
public record PayloadFile(String name, String kind, List<String> backends, long size, String sha256, long unpackedSize) {
    public static final String ROOTFS = "rootfs";
    public static final String KERNEL = "kernel";
    public static final String INITRAMFS = "initramfs";
    public static final String ROOT_IMAGE = "root-image";

    public PayloadFile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(sha256, "sha256");
        backends = List.copyOf(backends);
    }
}
