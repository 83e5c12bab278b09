package dev.bulkhead.backend.qemu.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The backend's configuration in typed form.
 *
 * @param qemu           the qemu-system-x86_64 binary
 * @param image          the directory of the built-in guest image ({@code vmlinuz}, {@code initrd.img}), or
 *                       {@code null} when neither the setting nor the installation names one
 * @param accelerator    how guests are run
 * @param bootTimeout    how long a start waits for the guest agent to answer
 * @param commandTimeout how long a host command (qemu's launch, mkfs) or a QMP / agent request may take
 * @param shutdownGrace  how long {@code shutdown} waits when the caller gives no timeout
 */
record QemuSettings(String qemu, Path image, Accelerator accelerator, Duration bootTimeout, Duration commandTimeout,
        Duration shutdownGrace) {
    /** How QEMU runs guests: with the kernel's KVM, by translating code (TCG), or KVM where the host has it. */
    enum Accelerator {
        AUTO, KVM, TCG;

        static Accelerator parse(String text) {
            try {
                return valueOf(text.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("accelerator '" + text + "': auto, kvm or tcg");
            }
        }
    }

    QemuSettings {
        if (qemu == null || qemu.isBlank()) {
            throw new IllegalArgumentException("qemuPath '" + qemu + "': a program name or an absolute path is required");
        }
        if (image != null && !image.isAbsolute()) {
            throw new IllegalArgumentException("imageDirectory '" + image + "': an absolute path is required");
        }
        if (bootTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("bootTimeoutSeconds " + bootTimeout.toSeconds() + ": at least 1");
        }
        if (commandTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("commandTimeoutSeconds " + commandTimeout.toSeconds() + ": at least 1");
        }
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdownGraceSeconds " + shutdownGrace.toSeconds() + ": 0 or more");
        }
    }

    /**
     * @param home the installation directory, where a blank image directory is taken from ({@code images/qemu})
     */
    static QemuSettings of(QemuBackend.Config config, String home) {
        String configured = config.imageDirectory();
        Path image;
        if (!configured.isBlank()) {
            image = Path.of(configured);
        } else if (home != null && !home.isBlank()) {
            image = Path.of(home).resolve("images").resolve("qemu");
        } else {
            image = null;
        }
        return new QemuSettings(config.qemuPath(), image == null ? null : image.toAbsolutePath().normalize(), Accelerator.parse(config.accelerator()),
                Duration.ofSeconds(config.bootTimeoutSeconds()), Duration.ofSeconds(config.commandTimeoutSeconds()),
                Duration.ofSeconds(config.shutdownGraceSeconds()));
    }

    /** Whether the guest kernel and initramfs are there. */
    boolean imagePresent() {
        return image != null && java.nio.file.Files.isRegularFile(kernel()) && java.nio.file.Files.isRegularFile(initramfs());
    }

    /** Why there is no image, for a start that cannot boot. */
    String imageProblem() {
        return image == null ? "no guest image directory: configure imageDirectory, or run the platform with bulkhead.home set"
                : "the guest image is missing: no " + kernel() + " and " + initramfs() + " (setting imageDirectory)";
    }

    Path kernel() {
        return image.resolve("vmlinuz");
    }

    Path initramfs() {
        return image.resolve("initrd.img");
    }
}
