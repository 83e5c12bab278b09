package dev.bulkhead.api.role;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.firewall.FirewallRule;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.UplinkSpec;

/**
 * A role that finds a program missing names the qube, its template and the Debian package; the check
 * runs for real in this host's shell, which stands for the qube's.
 */
class QubeProgramsTest {

    /** A qube whose commands run on this host; only exec and qube are asked for. */
    private static RoleContext qube(Qube qube, Function<List<String>, ExecResult> shell) {
        return new RoleContext() {
            @Override
            public Qube qube() {
                return qube;
            }

            @Override
            public ExecResult exec(List<String> command, byte[] stdin, Duration timeout) {
                return shell.apply(command);
            }

            @Override
            public List<LinkEndpoint> clients() {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<FirewallRule> firewallRules(String client) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void attachUplink(UplinkSpec uplink) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void detachUplink(UplinkSpec uplink) {
                throw new UnsupportedOperationException();
            }
        };
    }

    private static ExecResult onThisHost(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            p.getInputStream().transferTo(out);
            byte[] err = p.getErrorStream().readAllBytes();
            return new ExecResult(p.waitFor(), out.toByteArray(), err);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Qube appVm(String name, String template) {
        return new Qube(name, 7, QubeClass.AppVM, PowerState.Running, Map.of("template", PropertyValue.set(template)),
                Map.of("role", "tor"), Set.of());
    }

    @Test
    void eachMissingProgramAndUserIsNamedWithTheTemplateAndWhereItComesFrom() {
        QubePrograms programs = QubePrograms.of("/bin/sh", "dash", "/nonexistent/bin/tor", "tor", "sh", "dash",
                "no-such-program-here", "nothing").andUser("root", "it runs as root").andUser("no-such-user-here", "tor runs as it");

        Optional<String> missing = programs.missing(qube(appVm("sys-tor", "bulkhead-base"), QubeProgramsTest::onThisHost));

        assertEquals(Optional.of("sys-tor's template bulkhead-base has no /nonexistent/bin/tor (Debian package tor),"
                + " no no-such-program-here (Debian package nothing), no user no-such-user-here (tor runs as it)"), missing);
    }

    @Test
    void aQubeThatHasEverythingHasNothingMissingAndItsFailureStandsAsItWas() {
        QubePrograms programs = QubePrograms.of("/bin/sh", "dash", "sh", "dash").andUser("root", "it runs as root");
        RoleContext context = qube(appVm("sys-net", "bulkhead-debian"), QubeProgramsTest::onThisHost);
        AdminException failure = new AdminException("cannot load the packet filter");

        assertEquals(Optional.empty(), programs.missing(context));
        assertSame(failure, programs.explain(context, failure));
    }

    @Test
    void theExplanationNamesWhatIsMissingAndKeepsTheFailureAsItsCause() {
        AdminException failure = new AdminException("cannot start tor in 'sys-tor': there is no tor in this qube");
        AdminException explained = QubePrograms.of("/nonexistent/bin/tor", "tor")
                .explain(qube(appVm("sys-tor", "bulkhead-base"), QubeProgramsTest::onThisHost), failure);

        assertEquals("sys-tor's template bulkhead-base has no /nonexistent/bin/tor (Debian package tor)", explained.getMessage());
        assertSame(failure, explained.getCause());
    }

    @Test
    void aTemplateAStandaloneQubeAndADisposableAreNamedByTheRootTheyRun() {
        QubePrograms programs = QubePrograms.of("/nonexistent/nft", "nftables");
        Qube template = new Qube("bulkhead-base", 3, QubeClass.TemplateVM, PowerState.Running, Map.of(), Map.of(), Set.of());
        Qube standalone = new Qube("sys-alone", 4, QubeClass.StandaloneVM, PowerState.Running, Map.of(), Map.of(), Set.of());

        assertEquals(Optional.of("template bulkhead-base has no /nonexistent/nft (Debian package nftables)"),
                programs.missing(qube(template, QubeProgramsTest::onThisHost)));
        assertEquals(Optional.of("the root of sys-alone has no /nonexistent/nft (Debian package nftables)"),
                programs.missing(qube(standalone, QubeProgramsTest::onThisHost)));
        Qube disposable = new Qube("disp7", 8, QubeClass.DispVM, PowerState.Running, Map.of("template", PropertyValue.set("default-dvm")),
                Map.of(), Set.of());
        assertEquals(Optional.of("the template of disp7's disposable template default-dvm has no /nonexistent/nft (Debian package nftables)"),
                programs.missing(qube(disposable, QubeProgramsTest::onThisHost)));
    }

    /** The qube's answer is hostile: only the names asked about count, whatever else it prints. */
    @Test
    void onlyTheNamesAskedAboutAreTakenFromTheAnswer() {
        RoleContext liar = qube(appVm("sys-net", "evil"), argv -> new ExecResult(0,
                "rm -rf /\n/usr/bin/other\nnft\n\u001b[2J\n".getBytes(StandardCharsets.UTF_8), new byte[0]));

        assertEquals(Optional.of("sys-net's template evil has no nft (Debian package nftables)"),
                QubePrograms.of("nft", "nftables", "/sbin/ip", "iproute2").missing(liar));
    }

    @Test
    void aQubeThatCannotBeAskedSaysNothingAndTheFailureStands() {
        RoleContext gone = qube(appVm("sys-net", "t"), argv -> {
            throw new AdminException("'sys-net' is not running");
        });
        AdminException failure = new AdminException("cannot load the packet filter");

        assertSame(failure, QubePrograms.of("nft", "nftables").explain(gone, failure));
    }

    @Test
    void namesThatAreNoProgramsAreRefusedWhenDeclared() {
        assertThrows(IllegalArgumentException.class, () -> QubePrograms.of("nft; rm -rf /", "nftables"));
        assertThrows(IllegalArgumentException.class, () -> QubePrograms.of("nft"));
        assertThrows(IllegalArgumentException.class, () -> QubePrograms.of().andUser("to r", "x"));
    }
}
