package dev.bulkhead.role.netvm.internal;

import java.util.List;

import dev.bulkhead.testing.RecordingRoleContext;

/** A NetVM as the core shows it to the role: its backend attaches and detaches the uplink as asked, unless a test says otherwise. */
final class TestRoleContext extends RecordingRoleContext {
    TestRoleContext(String name, int qid, Shell shell) {
        this(name, qid, null, shell);
    }

    /** An AppVM of {@code template}. */
    TestRoleContext(String name, int qid, String template, Shell shell) {
        super(name, qid, "netvm", template, shell);
        onAttach(spec -> { });
        onDetach(spec -> { });
    }

    static TestRoleContext inNamespace(String name, int qid, String netns) {
        return new TestRoleContext(name, qid, Shell.inNamespace(netns));
    }

    /** What happened, one word a command or uplink call: nft, ip, attach, detach. */
    List<String> story() {
        return commands.stream().map(c -> switch (c.argv().get(0)) {
            case "nft" -> "nft";
            case "/sbin/ip" -> "ip";
            default -> c.argv().get(0);
        }).toList();
    }
}
