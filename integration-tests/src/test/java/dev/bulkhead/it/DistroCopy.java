package dev.bulkhead.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A throwaway copy of the built distribution ({@code distro/target/bulkhead}), for tests that run the
 * real launcher scripts and {@code bin/client}: its own data directory, a console secret of its own
 * and a free loopback port for its console, so that copies never share anything. Its first start sets
 * nothing up, and it has no templates/, unless a test gives it them.
 */
final class DistroCopy {
    static final Path DISTRO = Path.of(System.getProperty("bulkhead.it.workspace", ".."), "distro", "target", "bulkhead")
            .toAbsolutePath();

    private DistroCopy() {
    }

    /** A new copy in a temporary directory named with {@code prefix}; returns its home. */
    static Path make(String prefix) throws IOException {
        Path home = Files.createTempDirectory(Path.of("/tmp"), prefix);
        for (String part : List.of("bin", "etc", "lib", "bundle", "system", "features")) {
            HostCommand.Result r = HostCommand.run("cp", "-a", DISTRO.resolve(part).toString(), home.toString());
            if (r.exitStatus() != 0) {
                throw new IOException("cannot copy " + DISTRO.resolve(part) + ": " + r.stderr());
            }
        }
        Files.createDirectories(home.resolve("deploy"));
        Files.createDirectories(home.resolve("data"));
        Files.deleteIfExists(home.resolve("etc/console.secret"));
        Files.writeString(home.resolve("etc/dev.bulkhead.console.cfg"), "host=127.0.0.1\nport=0\n");
        // the tests of a copy start from an empty platform: its first start sets nothing up (FirstRunIT turns it on)
        Files.writeString(home.resolve("etc/dev.bulkhead.setup.cfg"), "first.start=false\n");
        return home;
    }

    /** Removes the copy's files (its platform must be stopped first). */
    static void delete(Path home) throws IOException {
        if (home == null || !Files.exists(home)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(home)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
