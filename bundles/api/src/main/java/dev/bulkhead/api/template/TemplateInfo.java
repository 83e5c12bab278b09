package dev.bulkhead.api.template;

import java.time.Instant;
import java.util.Objects;

/**
 * An installed template.
 *
 * @param manifest    its signed manifest
 * @param keyId       the id of the key that signed it (16 hex digits of the SHA-256 of the public key)
 * @param keyTrusted  whether that key was among the trusted keys at install time; false only when the
 *                    install was forced with the unknown-key override
 * @param installed   when it was installed
 * @param qubePresent whether its TemplateVM still exists (it may have been removed with {@code qvm:remove})
 */
public record TemplateInfo(TemplateManifest manifest, String keyId, boolean keyTrusted, Instant installed,
        boolean qubePresent) {
    public TemplateInfo {
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(installed, "installed");
    }

    public String name() {
        return manifest.name();
    }
}
