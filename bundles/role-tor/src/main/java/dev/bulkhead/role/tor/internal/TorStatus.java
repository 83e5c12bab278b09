package dev.bulkhead.role.tor.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What tor in a TorVM says about itself through its ControlPort: its bootstrap progress and its
 * circuits. {@code problem} is set, and the rest empty, when tor does not answer or refuses.
 *
 * @param version            tor's version
 * @param progress           bootstrap progress, 0 to 100
 * @param tag                the bootstrap phase, e.g. {@code conn_pt} or {@code done}
 * @param summary            the phase in words
 * @param warning            why bootstrapping is stuck, when tor says so; otherwise {@code null}
 * @param circuitEstablished whether tor has a circuit it can use
 * @param circuits           tor's circuits, as it lists them
 * @param problem            why there is no status; {@code null} when there is one
 */
record TorStatus(String version, int progress, String tag, String summary, String warning, boolean circuitEstablished,
        List<Circuit> circuits, String problem) {
    /**
     * @param path the relays by nickname (or fingerprint when tor knows no nickname), guard first
     */
    record Circuit(String id, String status, String purpose, List<String> path) {
    }

    private static final Pattern KEYWORD = Pattern.compile("([A-Z_]+)=(\"(?:[^\"\\\\]|\\\\.)*\"|\\S*)");

    TorStatus {
        circuits = List.copyOf(circuits);
    }

    static TorStatus unavailable(String problem) {
        return new TorStatus("", 0, "", "", null, false, List.of(), problem);
    }

    boolean answered() {
        return problem == null;
    }

    long built() {
        return circuits.stream().filter(c -> c.status().equals("BUILT")).count();
    }

    /**
     * Reads the replies to {@code AUTHENTICATE}, {@code GETINFO version status/bootstrap-phase
     * status/circuit-established} and {@code GETINFO circuit-status}, in that order.
     */
    static TorStatus parse(String replies) {
        List<String> lines = replies.lines().map(l -> l.endsWith("\r") ? l.substring(0, l.length() - 1) : l).toList();
        if (lines.isEmpty()) {
            return unavailable("tor did not answer on its control port");
        }
        if (!lines.get(0).equals("250 OK")) {
            return unavailable("tor refused the control password: " + lines.get(0));
        }
        Map<String, String> info = new LinkedHashMap<>();
        List<String> circuitLines = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.length() < 4 || !line.startsWith("250")) {
                return unavailable("tor refused a status request: " + line);
            }
            String body = line.substring(4);
            int eq = body.indexOf('=');
            if (line.charAt(3) == '-' && eq > 0) {
                info.put(body.substring(0, eq), body.substring(eq + 1));
            } else if (line.charAt(3) == '+' && eq > 0) {
                // a data block: lines up to a single "."
                for (i++; i < lines.size() && !lines.get(i).equals("."); i++) {
                    circuitLines.add(lines.get(i));
                }
            }
        }
        String phase = info.get("status/bootstrap-phase");
        if (phase == null) {
            return unavailable("tor gave no bootstrap phase: " + String.join(" | ", lines));
        }
        Map<String, String> keywords = keywords(phase);
        int progress;
        try {
            progress = Integer.parseInt(keywords.getOrDefault("PROGRESS", ""));
        } catch (NumberFormatException e) {
            return unavailable("tor gave a bootstrap phase without progress: " + phase);
        }
        String circuitStatus = info.get("circuit-status");
        if (circuitStatus != null && !circuitStatus.isEmpty()) {
            circuitLines.add(circuitStatus);
        }
        List<Circuit> circuits = new ArrayList<>();
        for (String line : circuitLines) {
            String[] fields = line.split(" ");
            if (fields.length < 2) {
                continue;
            }
            List<String> path = List.of();
            if (fields.length > 2 && !fields[2].contains("=")) {
                path = List.of(fields[2].split(",")).stream().map(TorStatus::relayName).toList();
            }
            circuits.add(new Circuit(fields[0], fields[1], keywords(line).getOrDefault("PURPOSE", ""), path));
        }
        String warning = keywords.get("WARNING");
        if (warning != null && keywords.containsKey("REASON")) {
            warning = warning + " (" + keywords.get("REASON") + ")";
        }
        return new TorStatus(info.getOrDefault("version", ""), progress, keywords.getOrDefault("TAG", ""),
                keywords.getOrDefault("SUMMARY", ""), warning, "1".equals(info.get("status/circuit-established")), circuits, null);
    }

    /** {@code $FINGERPRINT~nickname} → nickname; a bare fingerprint stays as it is. */
    private static String relayName(String relay) {
        int tilde = relay.indexOf('~');
        return tilde < 0 ? relay : relay.substring(tilde + 1);
    }

    private static Map<String, String> keywords(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = KEYWORD.matcher(text);
        while (m.find()) {
            String value = m.group(2);
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1).replaceAll("\\\\(.)", "$1");
            }
            out.put(m.group(1), value);
        }
        return out;
    }
}
