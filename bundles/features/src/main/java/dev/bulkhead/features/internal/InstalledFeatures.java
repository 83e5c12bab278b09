package dev.bulkhead.features.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Which features the user has installed, kept in one small JSON file so that an install or uninstall
 * survives a restart (the framework's own cache is cleaned at every start). Written temp → fsync →
 * rename → fsync of the directory: a crash leaves the old or the new list, never a torn one.
 */
final class InstalledFeatures {
    private final Path file;
    private final ObjectMapper mapper;

    InstalledFeatures(Path file, ObjectMapper mapper) {
        this.file = file;
        this.mapper = mapper;
    }

    /** The saved list, or empty when nothing was ever saved (a first start). */
    Optional<List<String>> load() throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        JsonNode root = mapper.readTree(file.toFile());
        JsonNode names = root == null ? null : root.get("installed");
        if (names == null || !names.isArray()) {
            throw new IOException(file + ": 'installed' must be an array of feature names");
        }
        List<String> result = new ArrayList<>();
        names.forEach(n -> result.add(n.asText()));
        return Optional.of(result);
    }

    void save(Set<String> names) throws IOException {
        ObjectNode root = mapper.createObjectNode();
        new LinkedHashSet<>(names).forEach(root.putArray("installed")::add);
        Path dir = file.getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + file.getFileName() + ".tmp-", "");
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(root)));
                ch.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
