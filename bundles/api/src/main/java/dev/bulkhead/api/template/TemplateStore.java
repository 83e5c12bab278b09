package dev.bulkhead.api.template;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Installs and keeps templates, as {@code qvm-template} does. An installed template is a TemplateVM
 * of the same name whose root is the template's payload; AppVMs made from it see that root
 * read-only. Every refused request throws {@link dev.bulkhead.api.AdminException} with a one-line
 * reason and leaves nothing behind.
 */
@ProviderType
public interface TemplateStore {
    /**
     * Installs a template package: checks its signature against the trusted keys, the SHA-256 and
     * size of every payload file, and every entry of its root archive, then makes its TemplateVM.
     * Refused when any check fails, or when the signing key is not trusted unless
     * {@code allowUnknownKey} (the signature must still be valid for the key the package carries).
     */
    TemplateInfo install(Path file, InstallListener listener, boolean allowUnknownKey);

    /** The installed templates, by name. */
    List<TemplateInfo> list();

    Optional<TemplateInfo> find(String name);

    /** Checks a package file as {@link #install} would, without installing anything. */
    Verification verify(Path file);

    /** Checks an installed template's kept manifest, signature and payload against the trusted keys now. */
    Verification verifyInstalled(String name);

    /** Removes a template and its TemplateVM; refused while a qube uses it. */
    void remove(String name);
}
