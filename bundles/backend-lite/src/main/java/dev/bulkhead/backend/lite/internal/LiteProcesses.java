package dev.bulkhead.backend.lite.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidStateException;
import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.host.HostCommands;
import dev.bulkhead.api.hypervisor.DomainProcess;

/**
 * Programs started in a lite domain with their streams piped to dom0, through {@code runc exec} as the user that the
 * domain's own {@code /etc/passwd} names. The file is the qube's and read as hostile: through the container's root as
 * its init sees it, never through a link (a link there could lead to a host file), bounded, and only for the one
 * line of the user asked for.
 */
final class LiteProcesses {
    /** The default user of a qube, as in Qubes, when its passwd has it. */
    static final String DEFAULT_USER = "user";
    private static final Pattern USER_NAME = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
    private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
    private static final int MAX_PASSWD_BYTES = 1024 * 1024;
    private static final int MAX_VALUE_CHARS = 4096;

    /** A user as a passwd line gives it. */
    record User(String name, long uid, long gid, String home) {
    }

    private final RuncRuntime runc;
    private final Path proc;

    LiteProcesses(RuncRuntime runc, Path proc) {
        this.runc = runc;
        this.proc = proc;
    }

    DomainProcess start(String domain, String userName, List<String> command, Map<String, String> environment) {
        if (command == null || command.isEmpty() || command.stream().anyMatch(a -> a == null || a.indexOf('\0') >= 0)) {
            throw new InvalidValueException("command", String.valueOf(command), "a program and its arguments, without NUL");
        }
        if (userName != null && !USER_NAME.matcher(userName).matches()) {
            throw new InvalidValueException("user", userName, "a user name (a-z, 0-9, _ and -, at most 32)");
        }
        Map<String, String> env = new LinkedHashMap<>();
        environment.forEach((k, v) -> {
            if (!VARIABLE.matcher(k).matches() || v == null || v.indexOf('\0') >= 0 || v.length() > MAX_VALUE_CHARS) {
                throw new InvalidValueException("environment variable", k, "a name of letters, digits and _, a value without NUL");
            }
            env.put(k, v);
        });
        long pid = runc.state(domain).filter(s -> s.pid() > 0).map(RuncRuntime.ContainerState::pid)
                .orElseThrow(() -> new InvalidStateException("domain '" + domain + "' is not running"));
        List<User> users = users(domain, pid);
        User user = userName != null ? find(users, userName).orElseThrow(() -> new InvalidStateException("domain '" + domain
                + "' has no user '" + userName + "'"))
                : find(users, DEFAULT_USER).or(() -> find(users, "root")).orElse(new User("root", 0, 0, "/root"));
        env.put("HOME", user.home());
        env.put("USER", user.name());
        env.put("LOGNAME", user.name());
        // runc refuses a working directory that is not there; the home of a user of a fresh qube may not be
        Path home = proc.resolve(Long.toString(pid)).resolve("root").resolve(user.home().substring(1));
        String cwd = !user.home().contains("..") && Files.isDirectory(home, LinkOption.NOFOLLOW_LINKS) ? user.home() : "/";
        HostCommands.Piped piped = runc.execPiped(domain, command, user.uid() + ":" + user.gid(), cwd, env);
        return new PipedProcess(piped);
    }

    /** The users of the domain's passwd; empty when it has none that can be read safely. */
    List<User> users(String domain, long initPid) {
        Path root = proc.resolve(Long.toString(initPid)).resolve("root");
        Path etc = root.resolve("etc");
        if (Files.isSymbolicLink(etc) || !Files.isDirectory(etc, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        try (SeekableByteChannel in = Files.newByteChannel(etc.resolve("passwd"), Set.of(StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS))) {
            ByteBuffer buffer = ByteBuffer.allocate(MAX_PASSWD_BYTES);
            while (buffer.hasRemaining() && in.read(buffer) >= 0) {
                // read up to the bound
            }
            return parse(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            // no passwd, or a link in its place: the qube has no users but root
            return List.of();
        }
    }

    /** The well-formed lines of a passwd file; the others are passed over. */
    static List<User> parse(String passwd) {
        List<User> users = new ArrayList<>();
        for (String line : passwd.split("\n")) {
            String[] f = line.split(":", -1);
            if (f.length < 7 || !USER_NAME.matcher(f[0]).matches() || !f[2].matches("[0-9]{1,9}") || !f[3].matches("[0-9]{1,9}")
                    || !f[5].startsWith("/") || f[5].length() > 256) {
                continue;
            }
            users.add(new User(f[0], Long.parseLong(f[2]), Long.parseLong(f[3]), f[5]));
        }
        return users;
    }

    private static Optional<User> find(List<User> users, String name) {
        return users.stream().filter(u -> u.name().equals(name)).findFirst();
    }

    /** A piped {@code runc exec}: killing it kills runc and the program under it. */
    private static final class PipedProcess implements DomainProcess {
        private final HostCommands.Piped piped;
        private final CompletableFuture<Integer> exit;

        PipedProcess(HostCommands.Piped piped) {
            this.piped = piped;
            this.exit = piped.onExit().thenApply(r -> r.exitStatus());
        }

        @Override
        public OutputStream stdin() {
            return piped.stdin();
        }

        @Override
        public InputStream stdout() {
            return piped.stdout();
        }

        @Override
        public InputStream stderr() {
            return piped.stderr();
        }

        @Override
        public CompletableFuture<Integer> onExit() {
            return exit;
        }

        @Override
        public void kill() {
            if (piped.isAlive()) {
                try {
                    piped.stop();
                } catch (AdminException e) {
                    // it ended meanwhile
                }
            }
        }
    }
}
