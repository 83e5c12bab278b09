package dev.bulkhead.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class, or one test, that needs root or kernel features: network namespaces, runc,
 * nftables, mounts, loop devices, cgroups, tor, wireguard-go or QEMU. It carries the JUnit tag
 * {@value #TAG}, which a build as an unprivileged user leaves out (the root POM's
 * {@code unprivileged} profile). Run without root all the same, it fails at once with
 * {@link RequiresRoot}'s message rather than being skipped, so that no build counts a system test
 * it did not run.
 */
@Target({ ElementType.TYPE, ElementType.METHOD })
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@Tag(SystemTest.TAG)
@ExtendWith(RequiresRoot.class)
public @interface SystemTest {
    String TAG = "system";
}
