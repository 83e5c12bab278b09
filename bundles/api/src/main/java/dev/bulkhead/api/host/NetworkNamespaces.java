package dev.bulkhead.api.host;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;

/**
 * Named network namespaces ({@code ip netns}) and veth pairs between them, made with {@link HostCommands}:
 * the one helper a backend, the bench and the test support make namespaces and links with. Every {@code ip}
 * call is a process start, which dominates the cost, so each step is one call, with a batch where it can be.
 * <p>
 * Names reach {@code ip} as arguments or as batch lines; a device name is checked before it goes into a
 * batch line, where a space would start another argument.
 */
public final class NetworkNamespaces {
    /** Where {@code ip netns} names the namespaces it makes. */
    public static final Path DIRECTORY = Path.of("/run/netns");

    private final HostCommands commands;
    private final Path directory;
    private final Duration timeout;

    /**
     * @param directory where {@code ip netns} names the namespaces: {@link #DIRECTORY}, or a test's own
     * @param timeout how long each {@code ip} call may take
     */
    public NetworkNamespaces(HostCommands commands, Path directory, Duration timeout) {
        this.commands = commands;
        this.directory = directory;
        this.timeout = timeout;
    }

    /** Whether {@code ip} runs at all. */
    public boolean isUsable() {
        return commands.run(command("-V")).succeeded();
    }

    public boolean exists(String netns) {
        return Files.exists(path(netns));
    }

    /** The file that names the namespace, for joining it. */
    public Path path(String netns) {
        return directory.resolve(netns);
    }

    /** Creates the namespace with its loopback up, or leaves nothing. */
    public void create(String netns) {
        commands.runOrThrow(command("netns", "add", netns));
        try {
            commands.runOrThrow(command("-n", netns, "link", "set", "lo", "up"));
        } catch (AdminException e) {
            try {
                delete(netns);
            } catch (AdminException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** Removes the namespace and every interface in it; does nothing when it does not exist. */
    public void delete(String netns) {
        if (exists(netns)) {
            commands.runOrThrow(command("netns", "delete", netns));
        }
    }

    /** Runs one {@code ip} command, e.g. {@code link set eth1 netns ns-a}; fails with its error. */
    public void ip(String... args) {
        commands.runOrThrow(command(args));
    }

    /** Runs {@code ip} batch lines (e.g. {@code address add 10.0.0.1/32 dev eth0}) inside the namespace in one call. */
    public void batch(String netns, List<String> lines) {
        if (!lines.isEmpty()) {
            commands.runOrThrow(command("-n", netns, "-batch", "-").withStdin((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** Whether the namespace has a device of this name. */
    public boolean hasDevice(String netns, String device) {
        return commands.run(command("-n", netns, "link", "show", device)).succeeded();
    }

    /** The names of the namespace's devices, its loopback included. */
    public List<String> devices(String netns) {
        List<String> names = new ArrayList<>();
        for (String line : commands.runOrThrow(command("-n", netns, "-o", "link", "show")).stdoutText().split("\n")) {
            // "3: vif5.0@if2: <BROADCAST,...> ..."
            String[] fields = line.split(": ", 3);
            if (fields.length >= 2) {
                names.add(fields[1].split("@", 2)[0]);
            }
        }
        return names;
    }

    /** Deletes the device in the namespace; does nothing when it is gone already. */
    public void deleteDevice(String netns, String device) {
        HostCommand command = command("-n", netns, "link", "delete", device);
        HostCommandResult result = commands.run(command);
        if (!result.succeeded() && !result.stderrLine().startsWith("Cannot find device")) {
            throw command.failure(result);
        }
    }

    /**
     * A veth pair between two namespaces, each end made directly inside its own (so neither name is ever
     * taken in the host's namespace) and up, then set up by its batch lines (addresses, routes): one
     * {@code ip} call a side. When the second side cannot be set up, the pair is removed again.
     */
    public void vethPair(VethEnd first, VethEnd second) {
        List<String> firstLines = new ArrayList<>(List.of(
                "link add " + first.device() + " type veth peer name " + second.device() + " netns " + second.netns(),
                "link set " + first.device() + " up"));
        firstLines.addAll(first.setup());
        batch(first.netns(), firstLines);
        List<String> secondLines = new ArrayList<>(List.of("link set " + second.device() + " up"));
        secondLines.addAll(second.setup());
        try {
            batch(second.netns(), secondLines);
        } catch (AdminException e) {
            try {
                deleteDevice(first.netns(), first.device());
            } catch (AdminException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * One end of a veth pair: the namespace it is in, its device name there, and the {@code ip} batch lines
     * that set it up once it is up.
     */
    public record VethEnd(String netns, String device, List<String> setup) {
        public VethEnd {
            if (netns == null || !netns.matches("[a-zA-Z0-9_.-]{1,255}")) {
                throw new InvalidValueException("network namespace", String.valueOf(netns),
                        "a name of 1 to 255 letters, digits, '_', '.' or '-'");
            }
            device = deviceName("device", device);
            setup = List.copyOf(setup);
        }

        public VethEnd(String netns, String device) {
            this(netns, device, List.of());
        }
    }

    /** The name, when it is one a Linux network device can have; else a refusal naming the field. */
    public static String deviceName(String field, String name) {
        if (name == null || !name.matches("[a-zA-Z0-9_.-]{1,15}")) {
            throw new InvalidValueException(field, String.valueOf(name), "an interface name of 1 to 15 letters, digits, '_', '.' or '-'");
        }
        return name;
    }

    private HostCommand command(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip"));
        argv.addAll(List.of(args));
        return HostCommand.of(timeout, argv);
    }
}
