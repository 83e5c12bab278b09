package dev.bulkhead.example.dns.internal;

import java.lang.reflect.Proxy;
import java.util.List;

import dev.bulkhead.testing.RecordingRoleContext;

/** A DNS filter qube as the core shows it to the role, and what its commands were for dnsmasq. */
final class TestRoleContext extends RecordingRoleContext {
    /** The capabilities the lite backend gives a qube that provides network; nothing else, as in the qube. */
    static final String QUBE_CAPABILITIES = "-all,+audit_write,+kill,+net_bind_service,+net_admin,+net_raw";

    TestRoleContext(String name, int qid, Shell shell) {
        super(name, qid, DnsFilterRole.ID, shell);
    }

    /** An AppVM of {@code template}. */
    TestRoleContext(String name, int qid, String template, Shell shell) {
        super(name, qid, DnsFilterRole.ID, template, shell);
    }

    /** Commands run as in the qube's root, with its capabilities only. */
    static TestRoleContext inNamespace(String name, int qid, String netns) {
        return new TestRoleContext(name, qid, Shell.inNamespace(netns, "setpriv", "--bounding-set=" + QUBE_CAPABILITIES, "--no-new-privs"));
    }

    /** The settings as ConfigAdmin would give them. */
    static DnsFilterConfig config(String block) {
        return (DnsFilterConfig) Proxy.newProxyInstance(DnsFilterConfig.class.getClassLoader(), new Class<?>[] { DnsFilterConfig.class },
                (proxy, method, args) -> method.getName().equals("annotationType") ? DnsFilterConfig.class : block);
    }

    /** The action of a dnsmasq control script run ({@code start} or {@code stop}), or {@code null} for other commands. */
    private static String dnsmasqAction(Command c) {
        return c.argv().size() == 6 && c.argv().get(2).equals(Dnsmasq.SCRIPT) ? c.argv().get(4) : null;
    }

    /** What the commands were, in order: "nft" for a filter, "start" and "stop" for dnsmasq. */
    List<String> steps() {
        return commands.stream().map(c -> dnsmasqAction(c) != null ? dnsmasqAction(c) : c.argv().get(0)).toList();
    }

    /** The configuration dnsmasq was last started with. */
    String lastDnsmasqConfig() {
        List<Command> starts = commands.stream().filter(c -> "start".equals(dnsmasqAction(c))).toList();
        return starts.get(starts.size() - 1).stdin();
    }
}
