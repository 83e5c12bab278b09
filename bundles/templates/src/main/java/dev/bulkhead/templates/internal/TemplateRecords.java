package dev.bulkhead.templates.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeNames;
import dev.bulkhead.api.json.JsonMappers;
import dev.bulkhead.api.template.TemplateInfo;
import dev.bulkhead.api.template.TemplateManifest;

/**
 * The records of installed templates, one directory {@code templates/<name>/} each: the manifest,
 * its signature, the payload, and {@code installed.json} with when and under which key it was installed.
 * Directories whose names start with a dot are the store's staging, no records.
 */
final class TemplateRecords {
    static final String RECORD = "installed.json";
    /** Logged under the store's name, where its operators look. */
    private static final System.Logger LOG = System.getLogger(TemplateStoreService.class.getName());
    private static final ObjectMapper JSON = JsonMappers.create();

    private final Path templates;
    private final QubeAdmin admin;

    TemplateRecords(Path templates, QubeAdmin admin) {
        this.templates = templates;
        this.admin = admin;
    }

    /** The installed templates by name; a record that cannot be read is logged and left out. */
    List<TemplateInfo> list() {
        List<TemplateInfo> all = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(templates, p -> !p.getFileName().toString().startsWith("."))) {
            for (Path dir : dirs) {
                try {
                    all.add(read(dir));
                } catch (AdminException e) {
                    LOG.log(Level.WARNING, "template record " + dir + " cannot be read: " + e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new AdminException("cannot list " + templates + ": " + e.getMessage(), e);
        }
        all.sort(Comparator.comparing(TemplateInfo::name));
        return all;
    }

    Optional<TemplateInfo> find(String name) {
        Path dir = recordOf(name);
        return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) ? Optional.of(read(dir)) : Optional.empty();
    }

    TemplateInfo info(String name) {
        return find(name).orElseThrow(() -> noSuchTemplate(name));
    }

    AdminException noSuchTemplate(String name) {
        List<String> installed = list().stream().map(TemplateInfo::name).toList();
        return new InvalidValueException("template", name, installed.isEmpty() ? "no template is installed"
                : "one of the installed templates: " + String.join(", ", installed));
    }

    /** The record directory of the template; a name that cannot be a template's is refused. */
    Path recordOf(String name) {
        try {
            return templates.resolve(QubeNames.validate(name));
        } catch (InvalidValueException e) {
            throw new InvalidValueException("template", String.valueOf(name), "a template name: " + e.getMessage());
        }
    }

    /** The backend a record's template was installed for, whose payload it keeps; empty for records that kept all of it. */
    static String backendOf(Path dir) throws IOException {
        return JSON.readTree(Files.readAllBytes(dir.resolve(RECORD))).path("backend").asText("");
    }

    private TemplateInfo read(Path dir) {
        try {
            TemplateManifest manifest = Manifests.parse(Files.readAllBytes(dir.resolve(Manifests.MANIFEST)));
            JsonNode record = JSON.readTree(Files.readAllBytes(dir.resolve(RECORD)));
            boolean present = admin.find(manifest.name()).map(q -> q.klass() == QubeClass.TemplateVM).orElse(false);
            return new TemplateInfo(manifest, record.path("key").asText(), record.path("trusted").asBoolean(),
                    Instant.parse(record.path("installed").asText()), present);
        } catch (IOException | RuntimeException e) {
            throw new AdminException("template record " + dir + " cannot be read: " + e.getMessage(), e);
        }
    }
}
