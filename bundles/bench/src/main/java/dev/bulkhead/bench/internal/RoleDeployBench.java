package dev.bulkhead.bench.internal;

import static dev.bulkhead.bench.internal.BenchFigures.putAgainstFloor;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarFile;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.QubeAdmin;
import dev.bulkhead.api.RoleInfo;

/**
 * A role bundle jar copied into the watched folder until its role is listed by
 * {@link QubeAdmin#roles()}, against the same jar installed and started straight through the
 * framework: the difference is what hot deployment adds (mostly waiting for FileInstall's poll).
 */
final class RoleDeployBench {
    private static final int DEPLOY_TRIES = 10;
    private static final Duration DEPLOY_DEADLINE = Duration.ofSeconds(30);
    private final QubeAdmin admin;
    private final BundleContext context;

    RoleDeployBench(QubeAdmin admin, BundleContext context) {
        this.admin = admin;
        this.context = context;
    }

    void measure(ObjectNode out, Path jar, Path deploy, long pollMs) throws Exception {
        Path target = deploy.resolve(jar.getFileName());
        Path part = deploy.resolve(jar.getFileName() + ".part");
        String symbolicName;
        try (JarFile file = new JarFile(jar.toFile())) {
            symbolicName = file.getManifest().getMainAttributes().getValue("Bundle-SymbolicName").split(";")[0].strip();
        }
        List<String> before = roleIds();
        String role = null;
        List<Long> deployed = new ArrayList<>();
        List<Long> floor = new ArrayList<>();
        try {
            for (int i = 0; i < DEPLOY_TRIES; i++) {
                long t0 = System.nanoTime();
                // renamed into place: FileInstall must not see half a jar
                Files.copy(jar, part, StandardCopyOption.REPLACE_EXISTING);
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
                role = awaitNewRole(before);
                deployed.add(System.nanoTime() - t0);
                Files.delete(target);
                awaitGone(before, symbolicName);

                long f0 = System.nanoTime();
                Bundle bundle;
                try (InputStream in = Files.newInputStream(jar)) {
                    bundle = context.installBundle("bench:" + jar.getFileName(), in);
                }
                try {
                    bundle.start();
                    awaitNewRole(before);
                    floor.add(System.nanoTime() - f0);
                } finally {
                    bundle.uninstall();
                }
                awaitGone(before, symbolicName);
            }
        } finally {
            Files.deleteIfExists(part);
            Files.deleteIfExists(target);
        }
        out.put("role", role);
        putAgainstFloor(out, deployed, 100, floor, "bundle_install_start");
        out.put("fileinstall_poll_ms", pollMs);
        out.put("tries", DEPLOY_TRIES);
        out.put("target_p50", 1000);
    }

    private List<String> roleIds() {
        return admin.roles().stream().map(RoleInfo::id).toList();
    }

    /** Waits for a role that is not in {@code before}; returns its id. */
    private String awaitNewRole(List<String> before) throws InterruptedException {
        long deadline = System.nanoTime() + DEPLOY_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            for (String id : roleIds()) {
                if (!before.contains(id)) {
                    return id;
                }
            }
            Thread.sleep(1);
        }
        throw new AdminException("no new role within " + DEPLOY_DEADLINE.toSeconds() + " s; roles: " + roleIds());
    }

    /**
     * Waits until the roles are {@code before} again and no bundle of that name is installed, so the
     * next install is not refused as a duplicate.
     */
    private void awaitGone(List<String> before, String symbolicName) throws InterruptedException {
        long deadline = System.nanoTime() + DEPLOY_DEADLINE.toNanos();
        while (!roleIds().equals(before) || Arrays.stream(context.getBundles()).anyMatch(b -> symbolicName.equals(b.getSymbolicName()))) {
            if (System.nanoTime() > deadline) {
                throw new AdminException("the deployed role or bundle " + symbolicName + " did not leave within "
                        + DEPLOY_DEADLINE.toSeconds() + " s; roles: " + roleIds());
            }
            Thread.sleep(1);
        }
    }
}
