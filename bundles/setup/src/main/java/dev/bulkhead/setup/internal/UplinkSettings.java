package dev.bulkhead.setup.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.InvalidValueException;

/**
 * sys-net's uplink as {@code qvm:setup --uplink} gives it: the NetVM role's settings
 * ({@value #PID}), written where they are kept. When they come from a file of etc/ (FileInstall
 * names it), that file is rewritten, keeping its comments, and applies when FileInstall sees it, as an
 * edit by hand would; otherwise they go to ConfigAdmin directly. The NetVM role checks the values and
 * says what is wrong (qvm:ls shows it); here only their form is checked, so that the file stays whole.
 */
final class UplinkSettings {
    static final String PID = "dev.bulkhead.role.netvm";
    static final Set<String> MODES = Set.of("none", "veth", "move", "macvlan");
    /** The property FileInstall puts in a configuration it made from a file. */
    static final String FILE_PROPERTY = "felix.fileinstall.filename";
    /** What a value may hold: names, addresses, prefixes, lists; nothing the file's syntax gives a meaning. */
    private static final Pattern VALUE = Pattern.compile("[A-Za-z0-9_.:/,-]{0,200}");

    private final Map<String, String> values;

    private UplinkSettings(Map<String, String> values) {
        this.values = values;
    }

    /**
     * The settings from qvm:setup's options; each absent one is empty, so that nothing of an earlier
     * uplink stays.
     *
     * @throws InvalidValueException naming the option, when a form is wrong or a mode lacks what it needs
     */
    static UplinkSettings of(String mode, String hostInterface, String namespace, String address, String gateway, String dns) {
        if (!MODES.contains(mode)) {
            throw new InvalidValueException("--uplink", mode, "none, veth, move or macvlan");
        }
        Map<String, String> values = new LinkedHashMap<>();
        values.put("uplink.mode", mode);
        values.put("uplink.host_interface", checked("--interface", hostInterface));
        values.put("uplink.host_namespace", checked("--namespace", namespace));
        values.put("uplink.address", checked("--address", address));
        values.put("uplink.gateway", checked("--gateway", gateway));
        values.put("dns", checked("--dns", dns));
        if (mode.equals("none")) {
            if (values.values().stream().skip(1).anyMatch(v -> !v.isEmpty())) {
                throw new InvalidValueException("--uplink", mode, "with none, give no --interface, --namespace, --address, --gateway or --dns");
            }
        } else {
            for (String[] needed : new String[][] {{"--interface", "uplink.host_interface"}, {"--address", "uplink.address"},
                    {"--gateway", "uplink.gateway"}}) {
                if (values.get(needed[1]).isEmpty()) {
                    throw new InvalidValueException(needed[0], "", "--uplink " + mode + " needs --interface, --address and --gateway");
                }
            }
        }
        return new UplinkSettings(values);
    }

    private static String checked(String option, String value) {
        String v = value == null ? "" : value.strip();
        if (!VALUE.matcher(v).matches()) {
            throw new InvalidValueException(option, v, "letters, digits and . : / , _ - only, at most 200");
        }
        return v;
    }

    Map<String, String> values() {
        return values;
    }

    /** For people: {@code uplink.mode=veth uplink.host_interface=bhup0 ...}, the empty ones left out. */
    String describe() {
        List<String> parts = new ArrayList<>();
        values.forEach((k, v) -> {
            if (!v.isEmpty()) {
                parts.add(k + "=" + v);
            }
        });
        return String.join(" ", parts);
    }

    /**
     * Puts the settings where they are kept; returns where: the file of etc/, or ConfigAdmin.
     */
    String write(ConfigurationAdmin configurations) {
        try {
            Configuration c = configurations.getConfiguration(PID, "?");
            Dictionary<String, Object> now = c.getProperties();
            Object file = now == null ? null : now.get(FILE_PROPERTY);
            if (file != null) {
                Path path = file.toString().startsWith("file:") ? Path.of(URI.create(file.toString())) : Path.of(file.toString());
                rewrite(path);
                return path.toString();
            }
            Dictionary<String, Object> next = new Hashtable<>();
            if (now != null) {
                for (var keys = now.keys(); keys.hasMoreElements();) {
                    String k = keys.nextElement();
                    next.put(k, now.get(k));
                }
            }
            values.forEach(next::put);
            c.update(next);
            return "ConfigAdmin (" + PID + ")";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the NetVM settings: " + e.getMessage(), e);
        }
    }

    /** Whether ConfigAdmin holds these values now (a file rewritten applies only once FileInstall has read it). */
    boolean inForce(ConfigurationAdmin configurations) {
        try {
            Configuration[] found = configurations.listConfigurations("(service.pid=" + PID + ")");
            Dictionary<String, Object> now = found == null || found.length == 0 ? null : found[0].getProperties();
            return now != null && values.entrySet().stream().allMatch(e -> Objects.equals(e.getValue(),
                    now.get(e.getKey()) == null ? "" : String.valueOf(now.get(e.getKey()))));
        } catch (IOException | org.osgi.framework.InvalidSyntaxException e) {
            throw new AdminException("cannot read the NetVM settings: " + e.getMessage(), e);
        }
    }

    /** Each setting's line replaced where it is (the first one; others go), the missing ones added; the comments stay. */
    void rewrite(Path file) throws IOException {
        List<String> lines = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        List<String> out = new ArrayList<>();
        Set<String> written = new java.util.HashSet<>();
        for (String line : lines) {
            String key = keyOf(line);
            if (key != null && values.containsKey(key)) {
                if (written.add(key)) {
                    out.add(key + " = " + values.get(key));
                }
                continue;
            }
            out.add(line);
        }
        values.forEach((k, v) -> {
            if (!written.contains(k)) {
                out.add(k + " = " + v);
            }
        });
        Path temp = Files.createTempFile(file.getParent(), "." + file.getFileName() + ".tmp-", "");
        try {
            Files.write(temp, out, StandardCharsets.UTF_8);
            if (Files.exists(file)) {
                Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(file));
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** The key a properties line sets, or {@code null} for a comment or a blank line. */
    static String keyOf(String line) {
        String s = line.strip();
        if (s.isEmpty() || s.startsWith("#") || s.startsWith("!")) {
            return null;
        }
        int end = 0;
        while (end < s.length() && "=: \t".indexOf(s.charAt(end)) < 0) {
            end++;
        }
        return s.substring(0, end);
    }
}
