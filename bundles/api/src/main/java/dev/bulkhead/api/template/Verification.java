package dev.bulkhead.api.template;

import java.util.List;
import java.util.Objects;

/**
 * What checking a template package, or an installed template's kept payload, found.
 *
 * @param subject  the file or template checked
 * @param manifest the manifest, when it could be read
 * @param keyId    the id of the key the signature names; empty when there is no readable signature
 * @param keyTrusted whether that key is among the trusted keys now
 * @param problems each thing found wrong, one line each; empty when all is well
 */
public record Verification(String subject, TemplateManifest manifest, String keyId, boolean keyTrusted,
        List<String> problems) {
    public Verification {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(keyId, "keyId");
        problems = List.copyOf(problems);
    }

    /** Signed by a trusted key, signature valid, every file whole and safe. */
    public boolean ok() {
        return problems.isEmpty() && keyTrusted;
    }
}
