package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.List;

import org.junit.Test;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.PropertyValue;
import dev.bulkhead.api.Qube;
import dev.bulkhead.api.QubeProperty;

/** The qvm:* commands, driven through the Gogo command processor as the console drives them. */
public class ShellIT extends BulkheadTestSupport {
    private static final List<String> LS_HEADER = List.of("NAME", "STATE", "CLASS", "LABEL", "TEMPLATE", "NETVM");

    /**
     * Every qvm command, whichever bundle registers it, answers {@code --help} with its usage, and {@code help NAME}
     * shows the same, not a Java signature.
     */
    @Test
    public void everyQvmCommandPrintsItsUsage() throws Exception {
        awaitService("(&(osgi.command.scope=qvm)(osgi.command.function=tor))");
        awaitService("(&(osgi.command.scope=qvm)(osgi.command.function=vpn))");
        awaitService("(&(osgi.command.scope=shell)(osgi.command.function=help))");
        java.util.Set<String> functions = new java.util.TreeSet<>();
        for (org.osgi.framework.ServiceReference<?> ref : context.getServiceReferences((String) null, "(osgi.command.scope=qvm)")) {
            Object value = ref.getProperty("osgi.command.function");
            functions.addAll(value instanceof String[] names ? List.of(names) : List.of(String.valueOf(value)));
        }
        assertTrue(functions.toString(), functions.containsAll(List.of("ls", "firewall", "template", "tor", "vpn")));
        for (String function : functions) {
            String usage = awaitHelp("qvm:" + function + " --help");
            assertTrue("qvm:" + function + " --help printed: " + usage, usage.startsWith("Usage: qvm:" + function));
            String help = session("help qvm:" + function);
            assertEquals("help qvm:" + function, usage, help);
            assertFalse(help, help.contains("String") || help.contains("parameters:"));
        }
    }

    /** The front of a command another bundle registers may come a moment after the command itself. */
    private String awaitHelp(String line) throws Exception {
        String[] printed = new String[1];
        awaitTrue(line + " to print the usage", QUBE_TIMEOUT, () -> {
            try {
                printed[0] = session(line);
                return printed[0].startsWith("Usage:");
            } catch (Exception notYet) {
                printed[0] = notYet.toString();
                return false;
            }
        }, () -> printed[0]);
        return printed[0];
    }

    /** Runs a line as the interactive shell and bin/client do: plain names resolved qvm first. */
    private String session(String line) throws Exception {
        org.apache.felix.service.command.CommandProcessor processor = service(org.apache.felix.service.command.CommandProcessor.class, null);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (org.apache.felix.service.command.CommandSession session = processor.createSession(
                new java.io.ByteArrayInputStream(new byte[0]), new java.io.PrintStream(out, true), System.err)) {
            session.put("SCOPE", "qvm:shell:*");
            session.execute(line);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Felix's bundle start is there too: a plain 'start' is qvm:start, and its failure one line naming it. */
    @Test
    public void aPlainStartIsQvmStartAndFailsInOneLine() throws Exception {
        awaitService("(&(osgi.command.scope=felix)(osgi.command.function=start))");
        try {
            session("start nosuch");
            fail("start nosuch was accepted");
        } catch (Exception e) {
            assertEquals("qvm:start: no such qube: 'nosuch'", e.toString());
        }
        try {
            session("qvm-ls");
            fail("qvm-ls ran");
        } catch (Exception e) {
            assertEquals("qvm-ls: use qvm:ls", e.toString());
        }
    }

    @Test
    public void createdQubeIsListedInAnAlignedTable() throws Exception {
        shell("qvm:create --label red work");
        Qube work = admin().get("work");
        assertEquals(Label.RED, work.label());

        List<String> lines = shell("qvm:ls").lines().toList();
        String header = lines.get(0);
        assertEquals("qvm:ls header", LS_HEADER, List.of(header.strip().split("\\s+")));
        assertEquals("qvm:ls rows:\n" + String.join("\n", lines), admin().list().size(), lines.size() - 1);

        String row = lines.stream().filter(l -> l.startsWith("work ")).findFirst()
                .orElseThrow(() -> new AssertionError("no row for work:\n" + String.join("\n", lines)));
        List<String> expected = List.of("work", "Halted", "AppVM", "red", FIRST_TEMPLATE, "-");
        for (int i = 0; i < LS_HEADER.size(); i++) {
            int column = header.indexOf(LS_HEADER.get(i));
            assertTrue("the row is shorter than the header:\n" + header + "\n" + row, row.length() >= column);
            String cell = row.substring(column).split(" ")[0];
            assertEquals(LS_HEADER.get(i) + " column, aligned under its header:\n" + header + "\n" + row, expected.get(i), cell);
            if (column > 0) {
                assertEquals("the cell under " + LS_HEADER.get(i) + " starts at the column:\n" + header + "\n" + row, ' ',
                        row.charAt(column - 1));
            }
        }
    }

    @Test
    public void rolesListsThePresentRolesAndTheQubesCarryingThem() throws Exception {
        shell("qvm:create --label red --property provides_network=True sys-fw");
        shell("qvm:features sys-fw role firewall");

        List<String> lines = shell("qvm:roles").lines().toList();

        assertEquals(List.of("ROLE", "NETWORK", "QUBES", "DESCRIPTION"), List.of(lines.get(0).strip().split("\\s+")));
        assertTrue(String.join("\n", lines), lines.stream().anyMatch(l -> l.matches("firewall\\s+yes\\s+sys-fw\\s+\\S.*")));
        assertTrue(String.join("\n", lines), lines.stream().anyMatch(l -> l.matches("netvm\\s+yes\\s+-\\s+\\S.*")));
        assertEquals(String.join("\n", lines), admin().roles().size() + 1, lines.size());
    }

    @Test
    public void prefsSetsShowsAndResetsAProperty() throws Exception {
        shell("qvm:create --label red work");
        String byDefault = admin().get("work").value(QubeProperty.MEMORY);

        shell("qvm:prefs work memory 512");
        assertEquals("512", shell("qvm:prefs work memory").strip());
        PropertyValue set = admin().get("work").property(QubeProperty.MEMORY);
        assertEquals("512", set.value());
        assertFalse("memory is still a default after setting it", set.isDefault());

        shell("qvm:prefs --default work memory");
        assertEquals(byDefault, shell("qvm:prefs work memory").strip());
        assertTrue("memory is a default again", admin().get("work").property(QubeProperty.MEMORY).isDefault());
    }

    /** Firewall rules added at the same time by several commands are all kept: no acknowledged add is lost. */
    @Test
    public void concurrentFirewallAddsAreAllKept() throws Exception {
        shell("qvm:create --label red work");
        int writers = 8;
        int each = 5;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < each; i++) {
                        shell("qvm:firewall work add action=accept proto=tcp dsthost=192.0.2." + (writer * each + i + 1) + " dstports=443");
                    }
                    return null;
                }));
            }
            go.countDown();
            for (java.util.concurrent.Future<?> f : done) {
                f.get(2, java.util.concurrent.TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        java.util.Set<String> hosts = new java.util.TreeSet<>();
        admin().firewallRules("work").forEach(r -> hosts.add(String.valueOf(r.dsthost())));
        for (int n = 1; n <= writers * each; n++) {
            assertTrue("the rule for 192.0.2." + n + " was lost: " + hosts, hosts.contains("192.0.2." + n + "/32"));
        }
    }

    /** A refused command changes nothing: the tags named before the refused one are not kept either. */
    @Test
    public void tagsAreAddedOrRemovedAllOrNone() throws Exception {
        shell("qvm:create --label red work");
        shell("qvm:tags work add kept");
        for (String refused : List.of("qvm:tags work add kept good bad/tag", "qvm:tags work del kept nosuch")) {
            try {
                shell(refused);
                fail(refused + " was accepted");
            } catch (Exception e) {
                assertTrue(refused + ": " + e, String.valueOf(e.getMessage()).contains(refused.endsWith("nosuch") ? "nosuch" : "bad/tag"));
            }
            assertEquals(refused, java.util.Set.of("kept"), admin().get("work").tags());
        }
        shell("qvm:tags work add kept more");
        assertEquals(java.util.Set.of("kept", "more"), admin().get("work").tags());
    }

    @Test
    public void invalidCommandThrowsNamingTheValue() throws Exception {
        try {
            shell("qvm:create --label pink x");
            fail("qvm:create --label pink x was accepted");
        } catch (Exception e) {
            assertTrue("the error names pink: " + e, String.valueOf(e.getMessage()).contains("pink"));
        }
        assertFalse("x was created", admin().find("x").isPresent());
    }
}
