package dev.bulkhead.build;

import java.io.File;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.RepositorySystemSession;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.ArtifactRequest;
import org.eclipse.aether.resolution.ArtifactResolutionException;

/**
 * Assembles a distribution from feature files, so that they are the single source of what ships:
 * <ul>
 * <li>every feature file is copied to {@code features/} and every bundle of every feature, resolved by its
 * Maven coordinates (from this build's reactor or a repository), into the Maven-layout {@code system/}
 * repository that the running platform installs features from;</li>
 * <li>the bundles of the startup features are copied to {@code bundle/}, which the launcher installs and starts
 * at every start; those with start order 1 are named, quoted, in the project property {@link #startLevelOneProperty}
 * as launcher locations, for the start-level list of the launcher's configuration;</li>
 * <li>each feature's configuration is written to {@code etc/<pid>.cfg}, where users edit it.</li>
 * </ul>
 */
@Mojo(name = "assemble", defaultPhase = LifecyclePhase.PREPARE_PACKAGE, threadSafe = true)
public final class AssembleMojo extends AbstractMojo {
    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    @Parameter(defaultValue = "${repositorySystemSession}", readonly = true, required = true)
    private RepositorySystemSession session;

    @Component
    private RepositorySystem repositories;

    /** The directory of feature files. */
    @Parameter(required = true)
    private File features;

    /** The distribution's root directory. */
    @Parameter(required = true)
    private File outputDirectory;

    /** Names of the features the launcher starts by itself; the others are installed at run time. */
    @Parameter(required = true)
    private List<String> startup;

    /** The launcher's prefix for locations in {@code bundle/}. */
    @Parameter(defaultValue = "file:${bulkhead.home}/bundle/")
    private String locationPrefix;

    /** The project property that receives the launcher locations of the startup bundles with start order 1. */
    @Parameter(defaultValue = "bulkhead.startlevel1.locations")
    private String startLevelOneProperty;

    @Override
    public void execute() throws MojoExecutionException {
        Path out = outputDirectory.toPath();
        List<FeatureDescription> all = read(features.toPath());
        List<String> known = all.stream().map(FeatureDescription::name).toList();
        for (String name : startup) {
            if (!known.contains(name)) {
                throw new MojoExecutionException("startup feature '" + name + "' has no feature file in " + features + "; known: " + known);
            }
        }
        List<String> levelOne = new ArrayList<>();
        try {
            // What an earlier build put there may name bundles that no feature holds any more.
            for (String generated : List.of("features", "bundle", "system")) {
                deleteTree(out.resolve(generated));
            }
            Files.createDirectories(out.resolve("features"));
            Files.createDirectories(out.resolve("bundle"));
            Files.createDirectories(out.resolve("etc"));
            for (FeatureDescription feature : all) {
                Files.copy(feature.file(), out.resolve("features").resolve(feature.file().getFileName()), StandardCopyOption.REPLACE_EXISTING);
                List<Path> jars = new ArrayList<>();
                for (FeatureDescription.BundleRef bundle : feature.bundles()) {
                    Path jar = resolve(bundle.coordinates());
                    jars.add(jar);
                    Path inRepository = out.resolve("system").resolve(repositoryPath(bundle.coordinates()));
                    Files.createDirectories(inRepository.getParent());
                    Files.copy(jar, inRepository, StandardCopyOption.REPLACE_EXISTING);
                    if (startup.contains(feature.name())) {
                        String fileName = inRepository.getFileName().toString();
                        Files.copy(jar, out.resolve("bundle").resolve(fileName), StandardCopyOption.REPLACE_EXISTING);
                        if (bundle.startOrder() == 1) {
                            levelOne.add("\"" + locationPrefix + fileName + "\"");
                        }
                    }
                }
                for (Map.Entry<String, Map<String, String>> c : feature.configurations().entrySet()) {
                    writeConfiguration(out.resolve("etc").resolve(c.getKey() + ".cfg"), feature, c.getValue(),
                            MetatypeDocs.describe(c.getKey(), jars));
                }
            }
        } catch (IOException e) {
            throw new MojoExecutionException("cannot assemble the distribution in " + out + ": " + e.getMessage(), e);
        }
        project.getProperties().setProperty(startLevelOneProperty, String.join(" ", levelOne));
        getLog().info("assembled " + all.size() + " features into " + out + " (startup: " + startup + ")");
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static List<FeatureDescription> read(Path directory) throws MojoExecutionException {
        List<FeatureDescription> result = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
                result.add(FeatureDescription.read(f));
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new MojoExecutionException(e.getMessage(), e);
        }
        return result;
    }

    private Path resolve(String coordinates) throws MojoExecutionException {
        ArtifactRequest request = new ArtifactRequest(artifact(coordinates), remoteRepositories(), null);
        try {
            return repositories.resolveArtifact(session, request).getArtifact().getFile().toPath();
        } catch (ArtifactResolutionException e) {
            throw new MojoExecutionException("cannot resolve bundle " + coordinates + ": " + e.getMessage(), e);
        }
    }

    private List<RemoteRepository> remoteRepositories() {
        return project.getRemoteProjectRepositories();
    }

    /** {@code g:a[:type[:classifier]]:v} as the resolver's {@code g:a[:extension[:classifier]]:v}. */
    private static DefaultArtifact artifact(String coordinates) {
        String[] p = coordinates.split(":");
        return switch (p.length) {
            case 3 -> new DefaultArtifact(p[0], p[1], "jar", p[2]);
            case 4 -> new DefaultArtifact(p[0], p[1], p[2], p[3]);
            default -> new DefaultArtifact(p[0], p[1], p[3], p[2], p[4]);
        };
    }

    static Path repositoryPath(String coordinates) {
        DefaultArtifact a = artifact(coordinates);
        String file = a.getArtifactId() + "-" + a.getVersion() + (a.getClassifier().isEmpty() ? "" : "-" + a.getClassifier())
                + "." + a.getExtension();
        return Path.of(a.getGroupId().replace('.', '/'), a.getArtifactId(), a.getVersion(), file);
    }

    private static void writeConfiguration(Path file, FeatureDescription feature, Map<String, String> values, List<String> docs)
            throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (String line : docs) {
                w.write(line.isEmpty() ? "#\n" : "# " + line + "\n");
            }
            w.write("#\n# Defaults of the feature '" + feature.name() + "' (features/" + feature.file().getFileName()
                    + "). Edit them here; changes apply when the file is saved.\n");
            for (Map.Entry<String, String> e : values.entrySet()) {
                w.write(escape(e.getKey(), true) + " = " + escape(e.getValue(), false) + "\n");
            }
        }
    }

    /** java.util.Properties escaping, which FileInstall's .cfg reader follows. */
    private static String escape(String text, boolean key) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '=', ':', '#', '!' -> b.append('\\').append(c);
                case ' ' -> b.append(key || i == 0 ? "\\ " : " ");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
