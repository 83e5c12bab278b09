package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.testing.Await;

/**
 * The distribution as a user drives it, with every mutating command hung up at random points (its
 * client killed with SIGKILL or SIGINT): afterwards what the platform says agrees with the host. A
 * running qube has its container, init and network namespace; a halted one has none of them, and no
 * mount, loop device, cgroup or process either; kill and start do what the state says they would.
 * The seed is fixed, so a failure repeats.
 */
public class InterruptionIT {
    private static final long SEED = 11;
    private static final int ROUNDS = 36;
    /** Long enough for any one command and its clean-up, which a hung-up client does not stop. */
    private static final Duration SETTLE = Duration.ofSeconds(40);
    private static final Pattern QUBE_LINE = Pattern.compile("^(\\S+)\\s+(\\S+)\\s+(\\S+)\\s.*$");

    private Path home;
    private Path data;
    private String tag;

    @Before
    public void startTheDistribution() throws IOException {
        home = DistroCopy.make("bulkhead-interruption-");
        data = home.resolve("data").toRealPath();
        tag = instanceTag(data);
        check(HostCommand.run(bin("start")));
        client("qvm:create", "--label", "green", "--property", "provides_network=True", "sys-firewall");
        client("qvm:features", "sys-firewall", "role", "firewall");
        client("qvm:create", "--label", "red", "--property", "netvm=sys-firewall", "work");
        client("qvm:create", "--label", "red", "--property", "template_for_dispvms=True", "dvm");
        client("qvm:create", "--label", "blue", "victim");
        client("qvm:start", "work", "victim");
    }

    @After
    public void stopAndRemoveIt() throws IOException {
        if (data == null) {
            return;
        }
        try {
            if (Files.exists(data.resolve("run/bulkhead.pid"))) {
                for (Map.Entry<String, String> q : qubes().entrySet()) {
                    if (!q.getValue().equals("Halted")) {
                        HostCommand.run(bin("client"), "qvm:kill", q.getKey());
                    }
                }
                HostCommand.run(bin("stop"));
            }
            // what a failure left behind of this instance goes: containers, namespaces, mounts, loop devices, cgroups
            HostCommand.run("sh", "-c", "for c in $(runc --root " + data.resolve("lite/runc") + " list -q); do runc --root "
                    + data.resolve("lite/runc") + " delete -f $c; done; for n in $(ip netns list | grep -o 'bh-" + tag
                    + "-[^ ]*'); do ip netns delete $n; done; for m in $(awk '{print $5}' /proc/self/mountinfo | grep '^"
                    + data + "/' | sort -r); do umount -l $m; done; for l in $(losetup -a | grep '" + home
                    + "/' | cut -d: -f1); do losetup -d $l; done; for c in /sys/fs/cgroup/*/bulkhead-" + tag
                    + "/*/ /sys/fs/cgroup/*/bulkhead-" + tag + "; do rmdir $c 2>/dev/null; done; true");
        } finally {
            DistroCopy.delete(home);
        }
    }

    @Test
    public void everyMutatingCommandHungUpAtARandomPointLeavesTheStateAndTheHostInAgreement() throws Exception {
        Random random = new Random(SEED);
        List<List<String>> commands = mutatingCommands();
        for (int round = 0; round < ROUNDS; round++) {
            List<String> command = new ArrayList<>(commands.get(random.nextInt(commands.size())));
            int r = round;
            command.replaceAll(a -> a.replace("ROUND", Integer.toString(1000 + r))
                    .replace("SIZE", Long.toString((2L << 30) + (r + 1) * (1L << 20))));
            boolean sigkill = random.nextBoolean();
            long delayMillis = 100 + random.nextInt(1400);
            boolean contended = random.nextInt(4) == 0;
            String what = "round " + round + ": " + String.join(" ", command) + (contended ? " behind a start of work" : "")
                    + ", client killed with " + (sigkill ? "SIGKILL" : "SIGINT") + " after " + delayMillis + " ms";
            HostCommands.Streaming holder = contended ? startClient(List.of("qvm:start", "work")) : null;
            HostCommands.Streaming client = startClient(command);
            // the delay is the point of the hang-up, not a wait for anything
            if (!client.waitFor(Duration.ofMillis(delayMillis))) {
                hangUp(client, sigkill);
            }
            assertTrue(what + ": the client did not end", client.waitFor(Duration.ofSeconds(30)));
            if (holder != null) {
                assertTrue(what + ": the start of work did not end", holder.waitFor(Duration.ofSeconds(60)));
            }
            awaitAgreement(what);
        }
        for (String qube : List.of("work", "sys-firewall", "victim")) {
            killAndStartAsTheStateSays(qube);
        }
    }

    /**
     * The hang-ups that hurt most, made certain rather than left to chance: the client goes the
     * moment its command's host work is seen under way (the init gone for a kill or shutdown, the
     * network namespace made for a start), while the platform is still at it.
     */
    @Test
    public void aClientHungUpInTheMiddleOfTheHostWorkOfAKillShutdownOrStartLeavesTheStateAndTheHostInAgreement()
            throws Exception {
        Path victimNetns = Path.of("/run/netns", "bh-" + tag + "-victim");
        for (int round = 0; round < 6; round++) {
            boolean sigkill = round % 2 == 0;
            String signal = sigkill ? "SIGKILL" : "SIGINT";
            Path initStat = Path.of("/proc", Long.toString(initPid("victim")), "stat");
            List<String> stop = round % 3 == 2 ? List.of("qvm:shutdown", "--wait", "victim") : List.of("qvm:kill", "victim");
            hangUpWhen(stop, () -> ended(initStat), sigkill);
            awaitAgreement(String.join(" ", stop) + ", client killed with " + signal + " once the init was gone");
            if (qubes().get("victim").equals("Halted")) {
                hangUpWhen(List.of("qvm:start", "victim"), () -> Files.exists(victimNetns), sigkill);
                awaitAgreement("qvm:start victim, client killed with " + signal + " once the netns was made");
            }
            if (!qubes().get("victim").equals("Running")) {
                client("qvm:start", "victim");
            }
        }
        killAndStartAsTheStateSays("victim");
    }

    /** Whether the process of this stat file has ended: gone, or a zombie not yet reaped. */
    private static boolean ended(Path stat) {
        String line = String.join("", readLines(stat));
        return line.isEmpty() || line.substring(line.lastIndexOf(')') + 2).startsWith("Z");
    }

    /** Runs the command and kills its client as soon as the condition holds on the host, or when the command ends. */
    private void hangUpWhen(List<String> command, java.util.function.BooleanSupplier underWay, boolean sigkill) throws Exception {
        HostCommands.Streaming client = startClient(command);
        Await.until(command + " to show work on the host, or to end", SETTLE, () -> !client.isAlive() || underWay.getAsBoolean());
        hangUp(client, sigkill);
        assertTrue(command + ": the client did not end", client.waitFor(Duration.ofSeconds(30)));
    }

    /** Kills the client as a user's hang-up would: SIGKILL (a closed terminal, a killed shell) or SIGINT (Ctrl-C). */
    private static void hangUp(HostCommands.Streaming client, boolean sigkill) {
        if (sigkill) {
            client.stop();
        } else {
            HostCommand.run("kill", "-INT", Long.toString(client.pid()));
        }
    }

    /**
     * Each command that changes something, with the qubes of the set-up; ROUND is replaced by a number
     * of the round, SIZE by a volume size that grows from round to round.
     */
    private static List<List<String>> mutatingCommands() {
        return List.of(
                List.of("qvm:start", "work"),
                List.of("qvm:start", "victim"),
                List.of("qvm:start", "sys-firewall"),
                List.of("qvm:kill", "work"),
                List.of("qvm:kill", "victim"),
                List.of("qvm:kill", "victim"),
                List.of("qvm:kill", "sys-firewall"),
                List.of("qvm:shutdown", "--wait", "--timeout", "3", "victim"),
                List.of("qvm:shutdown", "--force", "sys-firewall"),
                List.of("qvm:pause", "victim"),
                List.of("qvm:unpause", "victim"),
                List.of("qvm:restart", "victim"),
                List.of("qvm:prefs", "victim", "memory", "ROUND"),
                List.of("qvm:features", "work", "note", "ROUND"),
                List.of("qvm:tags", "victim", "add", "tROUND"),
                List.of("qvm:firewall", "work", "add", "action=drop", "dsthost=192.0.2.7"),
                List.of("qvm:firewall", "work", "reset"),
                List.of("qvm:create", "--label", "orange", "scratch"),
                List.of("qvm:clone", "victim", "scratch"),
                List.of("qvm:start", "scratch"),
                List.of("qvm:remove", "scratch"),
                List.of("qvm:volume", "resize", "victim:private", "SIZE"),
                List.of("qvm:volume", "config", "victim:private", "revisions_to_keep", "2"),
                List.of("qvm:run", "--dispvm=dvm", "true"),
                List.of("qvm:run", "victim", "sleep", "1"));
    }

    /** Waits until every qube is settled and what the platform says of it agrees with the host. */
    private void awaitAgreement(String what) {
        Await.until(what + ": the state and the host to agree", SETTLE, () -> disagreement().isEmpty(),
                () -> disagreement() + "\n" + String.join("\n", qubes().entrySet().stream().map(Object::toString).toList()));
    }

    /** What disagrees between the state and the host, or empty. */
    private String disagreement() {
        Map<String, String> qubes = qubes();
        Map<String, String> containers = containers();
        List<String> problems = new ArrayList<>();
        for (String id : containers.keySet()) {
            if (!qubes.containsKey(id) || qubes.get(id).equals("Halted")) {
                problems.add("container " + id + " (" + containers.get(id) + ") of a qube that is " + qubes.getOrDefault(id, "gone"));
            }
        }
        for (Map.Entry<String, String> q : qubes.entrySet()) {
            String name = q.getKey();
            String state = q.getValue();
            Path netns = Path.of("/run/netns", "bh-" + tag + "-" + name);
            switch (state) {
                case "Running", "Paused" -> {
                    String status = containers.get(name);
                    if (!state.toLowerCase(java.util.Locale.ROOT).equals(status)) {
                        problems.add(name + " is " + state + " but its container is " + status);
                    } else if (!Files.exists(Path.of("/proc", Long.toString(initPid(name))))) {
                        problems.add(name + " is " + state + " but its init is gone");
                    }
                    if (!Files.exists(netns)) {
                        problems.add(name + " is " + state + " but has no network namespace");
                    }
                }
                case "Halted" -> {
                    if (Files.exists(netns)) {
                        problems.add(name + " is Halted but has its network namespace");
                    }
                    List<String> mounts = mountsOf(name);
                    if (!mounts.isEmpty()) {
                        problems.add(name + " is Halted but has mounts " + mounts);
                    }
                    List<String> loops = loopDevicesOf(name);
                    if (!loops.isEmpty()) {
                        problems.add(name + " is Halted but has loop devices " + loops);
                    }
                    List<String> cgroups = cgroupsOf(name);
                    if (!cgroups.isEmpty()) {
                        problems.add(name + " is Halted but has cgroups " + cgroups);
                    }
                    List<String> processes = processesOf(name);
                    if (!processes.isEmpty()) {
                        problems.add(name + " is Halted but has processes " + processes);
                    }
                }
                // on its way: not settled yet
                default -> problems.add(name + " is " + state);
            }
        }
        return String.join("; ", problems);
    }

    /**
     * The symptom of a qube recorded halted while it ran: kill said it was not running and start
     * that it already was. Each does what the state says.
     */
    private void killAndStartAsTheStateSays(String qube) {
        String state = qubes().get(qube);
        HostCommand.Result kill = HostCommand.run(bin("client"), "qvm:kill", qube);
        if (state.equals("Running") || state.equals("Paused")) {
            assertEquals(qube + " is " + state + "; kill: " + kill.stderr(), 0, kill.exitStatus());
        } else {
            assertNotEquals(qube + " is " + state + " yet kill succeeded", 0, kill.exitStatus());
            assertTrue(kill.stderr(), kill.stderr().contains("not running"));
        }
        awaitAgreement("kill of " + qube);
        HostCommand.Result start = HostCommand.run(bin("client"), "qvm:start", qube);
        assertEquals("start of halted " + qube + ": " + start.stderr(), 0, start.exitStatus());
        assertEquals("Running", qubes().get(qube));
        awaitAgreement("start of " + qube);
    }

    // ---- the platform's view -------------------------------------------------------------------

    /** Every qube but dom0 with its state, as qvm:ls shows it. */
    private Map<String, String> qubes() {
        Map<String, String> states = new LinkedHashMap<>();
        for (String line : client("qvm:ls").split("\n")) {
            Matcher m = QUBE_LINE.matcher(line);
            if (m.matches() && !m.group(1).equals("NAME") && !m.group(3).equals("AdminVM")) {
                states.put(m.group(1), m.group(2));
            }
        }
        return states;
    }

    // ---- the host's view -----------------------------------------------------------------------

    /** This instance's runc containers with their status. */
    private Map<String, String> containers() {
        Map<String, String> found = new LinkedHashMap<>();
        Path root = data.resolve("lite/runc");
        if (!Files.isDirectory(root)) {
            return found;
        }
        String json = check(HostCommand.run("runc", "--root", root.toString(), "list", "--format", "json")).stdout();
        Matcher m = Pattern.compile("\"id\":\"([^\"]+)\",\"pid\":[0-9]+,\"status\":\"([a-z]+)\"").matcher(json);
        while (m.find()) {
            found.put(m.group(1), m.group(2));
        }
        return found;
    }

    private long initPid(String qube) {
        String state = check(HostCommand.run("runc", "--root", data.resolve("lite/runc").toString(), "state", qube)).stdout();
        Matcher m = Pattern.compile("\"pid\":\\s*([0-9]+)").matcher(state);
        assertTrue(state, m.find());
        return Long.parseLong(m.group(1));
    }

    private List<String> mountsOf(String qube) {
        String domain = data.resolve("lite/domains").resolve(qube) + "/";
        return readLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4])
                .filter(point -> point.startsWith(domain)).toList();
    }

    private List<String> loopDevicesOf(String qube) {
        List<String> found = new ArrayList<>();
        File[] loops = new File("/sys/block").listFiles((dir, name) -> name.startsWith("loop"));
        for (File loop : loops == null ? new File[0] : loops) {
            Path backing = loop.toPath().resolve("loop/backing_file");
            String file = Files.exists(backing) ? String.join("", readLines(backing)).strip() : "";
            if (file.startsWith(data + "/") && file.contains("/" + qube + "/")) {
                found.add(loop.getName() + " on " + file);
            }
        }
        return found;
    }

    private List<String> cgroupsOf(String qube) {
        List<String> found = new ArrayList<>();
        File[] hierarchies = new File("/sys/fs/cgroup").listFiles();
        for (File h : hierarchies == null ? new File[0] : hierarchies) {
            Path dir = h.toPath().resolve("bulkhead-" + tag).resolve(qube);
            if (Files.isDirectory(dir)) {
                found.add(dir.toString());
            }
        }
        return found;
    }

    private List<String> processesOf(String qube) {
        String cgroup = "/bulkhead-" + tag + "/" + qube;
        List<String> found = new ArrayList<>();
        File[] all = new File("/proc").listFiles((dir, name) -> name.matches("[0-9]+"));
        for (File p : all == null ? new File[0] : all) {
            List<String> lines = readLines(p.toPath().resolve("cgroup"));
            if (lines.stream().anyMatch(l -> l.endsWith(":" + cgroup) || l.contains(":" + cgroup + "/"))) {
                found.add(p.getName());
            }
        }
        return found;
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            // a process that ended, a loop device that went meanwhile
            return List.of();
        }
    }

    // ---- driving the distribution ---------------------------------------------------------------

    /** Starts a client in the background, its stdin empty; what it prints is drained and not looked at. */
    private HostCommands.Streaming startClient(List<String> args) {
        List<String> argv = new ArrayList<>(List.of(bin("client")));
        argv.addAll(args);
        return HostCommand.HOST.stream(dev.bulkhead.api.host.HostCommand.of(SETTLE, argv).withOutputCap(64 * 1024));
    }

    private String client(String... args) {
        List<String> argv = new ArrayList<>(List.of(bin("client")));
        argv.addAll(List.of(args));
        return check(HostCommand.run(argv.toArray(String[]::new))).stdout();
    }

    private String bin(String name) {
        return home.resolve("bin").resolve(name).toString();
    }

    private static HostCommand.Result check(HostCommand.Result r) {
        assertEquals("exit status; stdout: " + r.stdout() + " stderr: " + r.stderr(), 0, r.exitStatus());
        return r;
    }

    /** The tag the lite backend puts in host-wide names: the first three bytes of the SHA-256 of the data directory. */
    private static String instanceTag(Path data) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(data.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 3);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
