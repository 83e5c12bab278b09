package dev.bulkhead.bench.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.host.HostCommand;
import dev.bulkhead.api.host.HostCommands;

/**
 * The floor of a qemu qube's start: a bare {@code qemu-system-x86_64} of the same kernel and initramfs, with the same
 * machine, accelerator, processor, memory and vCPUs as the qube's own QEMU (read from its command line while it runs),
 * and a guest agent socket, timed from its launch until the guest agent answers {@code guest-sync}. Nothing of
 * Bulkhead is in it: no private volume, no network card or namespace, no sandbox, no user of its own, no channels.
 */
final class QemuFloor {
    /** The options of the qube's command line the floor takes over, with their values. */
    static final List<String> KEPT = List.of("-machine", "-cpu", "-m", "-smp", "-kernel", "-initrd");
    /** Kernel options that make the guest's init look for a disk, which the floor has not. */
    static final Set<String> DISK_OPTIONS = Set.of("bulkhead.private=1", "bulkhead.root=1");
    /** How long one connection waits for its answer before the next connection asks again. */
    private static final Duration ASK = Duration.ofSeconds(1);
    private static final int MAX_LINE = 64 * 1024;

    private final HostCommands host;
    private final ObjectMapper json = new ObjectMapper();

    QemuFloor(HostCommands host) {
        this.host = host;
    }

    /** The command line of the running QEMU of a domain, found in {@code proc} by its {@code -name guest=NAME,...}. */
    static Optional<List<String>> qubeCommandLine(Path proc, String domain) throws IOException {
        try (Stream<Path> entries = Files.list(proc)) {
            for (Path p : entries.filter(e -> e.getFileName().toString().matches("[0-9]+")).toList()) {
                byte[] raw;
                try {
                    raw = Files.readAllBytes(p.resolve("cmdline"));
                } catch (IOException gone) {
                    continue;
                }
                List<String> argv = Arrays.asList(new String(raw, StandardCharsets.UTF_8).split("\0"));
                int name = argv.indexOf("-name");
                if (name >= 0 && name + 1 < argv.size() && argv.get(name + 1).startsWith("guest=" + domain + ",")) {
                    return Optional.of(List.copyOf(argv));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The floor's command line: the qube's QEMU binary and its {@link #KEPT} options, its kernel command line without
     * the {@link #DISK_OPTIONS}, and a guest agent port on a socket QEMU listens on.
     */
    static List<String> commandLine(List<String> qube, Path agentSocket) {
        List<String> argv = new ArrayList<>(List.of(qube.get(0), "-name", "guest=bench-floor"));
        for (String option : KEPT) {
            argv.addAll(List.of(option, value(qube, option)));
        }
        String append = Stream.of(value(qube, "-append").split(" "))
                .filter(o -> !o.isEmpty() && !DISK_OPTIONS.contains(o))
                .collect(Collectors.joining(" "));
        argv.addAll(List.of("-append", append,
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-chardev", "socket,id=agent,path=" + agentSocket.toString().replace(",", ",,") + ",server=on,wait=off",
                "-device", "virtio-serial-pci",
                "-device", "virtserialport,chardev=agent,name=org.qemu.guest_agent.0"));
        return argv;
    }

    /** The accelerator of a QEMU command line ({@code -machine ...,accel=X}), or {@code unknown}. */
    static String accelerator(List<String> argv) {
        int i = argv.indexOf("-machine");
        if (i >= 0 && i + 1 < argv.size()) {
            for (String part : argv.get(i + 1).split(",")) {
                if (part.startsWith("accel=")) {
                    return part.substring("accel=".length());
                }
            }
        }
        return "unknown";
    }

    private static String value(List<String> argv, String option) {
        int i = argv.indexOf(option);
        if (i < 0 || i + 1 >= argv.size()) {
            throw new AdminException("the qube's QEMU command line has no " + option + ": " + argv);
        }
        return argv.get(i + 1);
    }

    /** Launches the floor's QEMU, waits until its agent answers, stops it: the time from launch to the answer. */
    long bootToAgent(List<String> argv, Path agentSocket, Duration timeout) throws IOException, InterruptedException {
        Files.deleteIfExists(agentSocket);
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        try (HostCommands.Started qemu = host.start(HostCommand.of(timeout.plusSeconds(10), argv).withOutputCap(64 * 1024))) {
            long id = t0 & Integer.MAX_VALUE;
            while (!answersSync(agentSocket, ++id)) {
                if (!qemu.isAlive()) {
                    throw new AdminException("the floor's QEMU ended before its agent answered: " + qemu.stop().stderrText());
                }
                if (System.nanoTime() > deadline) {
                    throw new AdminException("the floor's guest agent did not answer within " + timeout.toSeconds() + " s");
                }
            }
            return System.nanoTime() - t0;
        }
    }

    /**
     * Whether the agent behind the socket answers {@code guest-sync} with this id within {@link #ASK}. A socket that
     * is not there yet (QEMU still starting) is tried again shortly.
     */
    private boolean answersSync(Path socket, long id) throws IOException, InterruptedException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException notYet) {
                Thread.sleep(5);
                return false;
            }
            channel.write(ByteBuffer.wrap(("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":" + id + "}}\n")
                    .getBytes(StandardCharsets.UTF_8)));
            channel.configureBlocking(false);
            try (Selector selector = Selector.open()) {
                channel.register(selector, SelectionKey.OP_READ);
                long deadline = System.nanoTime() + ASK.toNanos();
                ByteBuffer in = ByteBuffer.allocate(4096);
                ByteArrayOutputStream line = new ByteArrayOutputStream();
                while (true) {
                    long left = (deadline - System.nanoTime()) / 1_000_000;
                    if (left <= 0 || selector.select(left) == 0 && System.nanoTime() >= deadline) {
                        return false;
                    }
                    selector.selectedKeys().clear();
                    in.clear();
                    int n = channel.read(in);
                    if (n < 0) {
                        return false;
                    }
                    for (int i = 0; i < n; i++) {
                        byte b = in.get(i);
                        if (b != '\n') {
                            if (line.size() >= MAX_LINE) {
                                return false;
                            }
                            line.write(b);
                        } else if (answers(line.toString(StandardCharsets.UTF_8), id)) {
                            return true;
                        } else {
                            line.reset();
                        }
                    }
                }
            }
        }
    }

    private boolean answers(String line, long id) {
        try {
            JsonNode reply = json.readTree(line.strip());
            return reply != null && reply.path("return").asLong(-1) == id;
        } catch (IOException notJson) {
            return false;
        }
    }
}
