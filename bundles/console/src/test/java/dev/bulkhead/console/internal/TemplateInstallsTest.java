package dev.bulkhead.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.template.InstallListener;
import dev.bulkhead.api.template.TemplateStore;

class TemplateInstallsTest {
    @TempDir
    Path dir;
    private Path shipped;
    private Path spool;
    /** What the store was asked to install, and the bytes of each file then. */
    private final List<String> installed = new ArrayList<>();
    /** The allowUnknownKey of each install the store was asked for. */
    private final List<Boolean> allowed = new ArrayList<>();
    private TemplateInstalls installs;

    @BeforeEach
    void setUp() throws IOException {
        shipped = Files.createDirectory(dir.resolve("templates"));
        spool = dir.resolve("data/console-uploads");
        TemplateStore store = (TemplateStore) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { TemplateStore.class },
                (proxy, method, args) -> {
                    if (method.getName().equals("install")) {
                        Path file = (Path) args[0];
                        String content = Files.readString(file);
                        installed.add(content);
                        allowed.add((Boolean) args[2]);
                        ((InstallListener) args[1]).progress(InstallListener.Phase.PAYLOAD, 5, 10);
                        if (content.startsWith("bad")) {
                            throw new AdminException("payload file root.tar.gz has SHA-256 0000, the signed manifest says 1111");
                        }
                        throw new AdminException("not made in this test");
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        // installs run at once, on the caller's thread
        installs = new TemplateInstalls(store, shipped, spool, 10, Runnable::run);
    }

    @Test
    void thePackagesAreTheShippedFilesNamedAsTheBuildNamesThem() throws IOException {
        Files.writeString(shipped.resolve("bulkhead-base-0.1.0-SNAPSHOT.bht"), "x");
        Files.writeString(shipped.resolve("other-2.bht"), "xy");
        Files.writeString(shipped.resolve("README.txt"), "not a package");
        Files.writeString(shipped.resolve("noversion.bht"), "no version in the name");
        Files.createDirectory(shipped.resolve("dir-1.0.bht"));

        assertEquals(List.of(new TemplateInstalls.Package("bulkhead-base-0.1.0-SNAPSHOT.bht", "bulkhead-base", "0.1.0-SNAPSHOT", 1),
                new TemplateInstalls.Package("other-2.bht", "other", "2", 2)), installs.packages());
    }

    @Test
    void onlyAPackageOfTheDirectoryIsInstalledNeverAPathOutOfIt() {
        for (String file : List.of("../etc/passwd", "/etc/passwd", "sub/x-1.bht", "x-1.bht/..", "")) {
            ApiException e = assertThrows(ApiException.class, () -> installs.installPackage(file, false), file);
            assertEquals(422, e.problem().status(), file);
        }
        assertEquals(404, assertThrows(ApiException.class, () -> installs.installPackage("absent-1.0.bht", false)).problem().status());
        assertEquals(List.of(), installed);
    }

    @Test
    void anUploadOverTheLimitIsRefusedAndItsSpoolFileGoes() throws IOException {
        ApiException e = assertThrows(ApiException.class, () -> installs.installUpload("big-1.bht", new ByteArrayInputStream(new byte[11]), false));
        assertEquals(413, e.problem().status());
        assertEquals(List.of(), installed);
        assertEquals(List.of(), spooled());
    }

    @Test
    void anEmptyUploadIsRefused() throws IOException {
        assertEquals(422, assertThrows(ApiException.class, () -> installs.installUpload("e-1.bht", new ByteArrayInputStream(new byte[0]), false))
                .problem().status());
        assertEquals(List.of(), spooled());
    }

    @Test
    void aRefusedUploadFailsItsJobWithTheStoresReasonAndItsSpoolFileGoes() throws IOException {
        TemplateInstalls.Job job = installs.installUpload("evil-1.bht", new ByteArrayInputStream("bad bytes".getBytes()), false);

        assertEquals(List.of("bad bytes"), installed, "the store checked what was uploaded");
        assertEquals(TemplateInstalls.State.FAILED, job.state);
        assertTrue(job.error.contains("has SHA-256"), job.error);
        assertEquals(InstallListener.Phase.PAYLOAD, job.phase);
        assertEquals(5, job.done);
        assertEquals(List.of(), spooled());
        assertEquals(job, installs.job(job.id).orElseThrow());
    }

    @Test
    void anUnknownKeyIsAllowedOnlyForTheInstallThatAsksForIt() throws IOException {
        Files.writeString(shipped.resolve("shipped-1.bht"), "shipped");
        TemplateInstalls.Job allowing = installs.installUpload("u-1.bht", new ByteArrayInputStream("stranger".getBytes()), true);
        TemplateInstalls.Job strict = installs.installPackage("shipped-1.bht", false);

        assertEquals(List.of(true, false), allowed, "what the store was told, install by install");
        assertTrue(allowing.allowUnknownKey);
        assertFalse(strict.allowUnknownKey);
        assertEquals(true, TemplateResources.job(allowing).allowUnknownKey(), "the job says so");
    }

    @Test
    void onlyTheLastJobsAreKept() throws IOException {
        for (int i = 0; i < TemplateInstalls.KEPT_JOBS + 5; i++) {
            installs.installUpload("u-1.bht", new ByteArrayInputStream("bad".getBytes()), false);
        }
        assertEquals(TemplateInstalls.KEPT_JOBS, installs.jobs().size());
        assertEquals(Integer.toString(TemplateInstalls.KEPT_JOBS + 5), installs.jobs().get(0).id, "newest first");
    }

    private List<Path> spooled() throws IOException {
        try (var files = Files.list(spool)) {
            return files.toList();
        }
    }
}
