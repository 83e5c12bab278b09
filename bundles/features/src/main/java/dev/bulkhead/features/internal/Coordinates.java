package dev.bulkhead.features.internal;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A bundle's Maven coordinates as a feature names them: {@code groupId:artifactId[:type[:classifier]]:version}
 * (OSGi Compendium R8, 160.2.1.1).
 */
record Coordinates(String groupId, String artifactId, String type, String classifier, String version) {
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9_.-]+");

    static Coordinates parse(String text) {
        String[] parts = text.split(":", -1);
        if (parts.length < 3 || parts.length > 5) {
            throw new InvalidFeatureFileException("'" + text + "' is not groupId:artifactId[:type[:classifier]]:version");
        }
        for (String part : parts) {
            // Also keeps "..", "/" and the like out of the repository path made from them.
            if (!PART.matcher(part).matches() || part.equals(".") || part.equals("..")) {
                throw new InvalidFeatureFileException("'" + text + "': '" + part + "' is not a Maven coordinate part");
            }
        }
        String version = parts[parts.length - 1];
        String type = parts.length >= 4 ? parts[2] : "jar";
        String classifier = parts.length == 5 ? parts[3] : null;
        return new Coordinates(parts[0], parts[1], type, classifier, version);
    }

    /** The artifact's file in a Maven-layout repository. */
    Path in(Path repository) {
        String file = artifactId + "-" + version + (classifier == null ? "" : "-" + classifier) + "." + type;
        return repository.resolve(groupId.replace('.', '/')).resolve(artifactId).resolve(version).resolve(file);
    }

    @Override
    public String toString() {
        return groupId + ":" + artifactId + (classifier == null ? (type.equals("jar") ? "" : ":" + type) : ":" + type + ":" + classifier)
                + ":" + version;
    }
}
