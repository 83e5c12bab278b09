package dev.bulkhead.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestInstancePreConstructCallback;
import org.junit.jupiter.api.extension.TestInstanceFactoryContext;

/**
 * Fails a {@link SystemTest} when the process is not root, before the test's own set-up touches
 * the kernel (a class's static set-up, its constructor and field initializers, a method's set-up):
 * a condition would skip it instead, and a skipped system test must never pass for a run one.
 */
public final class RequiresRoot implements BeforeAllCallback, TestInstancePreConstructCallback, BeforeEachCallback {
    private final Path status;

    public RequiresRoot() {
        this(Path.of("/proc/self/status"));
    }

    /** @param status a file in the format of {@code /proc/self/status} */
    RequiresRoot(Path status) {
        this.status = status;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        check(context);
    }

    @Override
    public void preConstructTestInstance(TestInstanceFactoryContext factoryContext, ExtensionContext context) {
        check(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        check(context);
    }

    void check(ExtensionContext context) {
        if (!isRoot()) {
            throw new AssertionError(context.getDisplayName() + " is a system test (tag '" + SystemTest.TAG
                    + "') and needs root: run it as root, as CI does, or leave the tag out (a build as another user"
                    + " does so by itself: Maven profile 'unprivileged')");
        }
    }

    /** Whether the effective user id is 0. */
    boolean isRoot() {
        List<String> lines;
        try {
            lines = Files.readAllLines(status);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot tell whether this process is root", e);
        }
        return lines.stream()
                .filter(line -> line.startsWith("Uid:"))
                .map(line -> line.split("\\s+"))
                .anyMatch(fields -> fields.length > 2 && fields[2].equals("0"));
    }
}
