package dev.bulkhead.it;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import org.junit.Before;
import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeProperty;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.VolumeRevision;

/**
 * The Admin API as a client meets it, over real HTTP on loopback: who gets in, what a change needs,
 * what a refusal looks like, and the event stream. Every refused change is checked to have changed
 * nothing.
 */
public class ConsoleApiIT extends ConsoleTestSupport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private int port;
    private String token;

    @Before
    public void startConsole() {
        port = startConsoleOnLoopback();
        token = apiToken();
    }

    private HttpExchange http(String method, String path) {
        return new HttpExchange("127.0.0.1", port).request(method, path);
    }

    private HttpExchange bearer(String method, String path) {
        return http(method, path).header("Authorization", "Bearer " + token);
    }

    private String origin() {
        return "http://127.0.0.1:" + port;
    }

    private static JsonNode json(HttpExchange.Response r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r, e);
        }
    }

    private static void assertProblem(int status, HttpExchange.Response r) {
        assertEquals(r.toString(), status, r.status());
        assertEquals(r.toString(), "application/problem+json", r.header("Content-Type").split(";")[0]);
        JsonNode p = json(r);
        assertEquals(status, p.path("status").asInt());
        assertFalse("a problem names what is wrong: " + r, p.path("detail").asText().isBlank());
    }

    /** A browser session: the cookie and the CSRF token a login gives. */
    private record Login(String cookie, String csrf) {
    }

    private Login login() {
        HttpExchange.Response r = http("POST", "/api/login").header("Origin", origin())
                .json("{\"secret\": \"" + secret() + "\"}").send();
        assertEquals(r.toString(), 200, r.status());
        String setCookie = r.header("Set-Cookie");
        assertNotNull("a login sets a cookie: " + r, setCookie);
        return new Login(setCookie.split(";")[0], json(r).path("csrf_token").asText());
    }

    @Test
    public void theSecretIsMadeAtFirstStartReadableByItsOwnerOnly() throws IOException {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile())));
        assertTrue("a long random secret: " + secret().length(), secret().length() >= 40);
    }

    @Test
    public void withoutCredentialsTheApiAnswers401AndChangesNothing() {
        HttpExchange.Response list = http("GET", "/api/qubes").send();
        assertProblem(401, list);
        assertTrue(list.toString(), list.header("WWW-Authenticate").startsWith("Bearer"));

        assertProblem(401, http("POST", "/api/qubes").header("Origin", origin())
                .json("{\"name\": \"nologin\", \"label\": \"red\"}").send());
        assertProblem(401, http("GET", "/api/qubes").header("Authorization", "Bearer wrong-secret").send());
        assertProblem(401, http("GET", "/api/events").send());
        assertProblem(401, http("POST", "/api/login").header("Origin", origin()).json("{\"secret\": \"wrong\"}").send());
        assertTrue(admin().find("nologin").isEmpty());
    }

    @Test
    public void anApiTokenOpensTheApiAndAnswersCarryTheSecurityHeaders() {
        HttpExchange.Response r = bearer("GET", "/api/qubes").send();
        assertEquals(r.toString(), 200, r.status());
        JsonNode qubes = json(r).path("qubes");
        assertEquals("dom0", qubes.get(0).path("name").asText());
        assertEquals(admin().list().size(), qubes.size());
        assertEquals("no-store", r.header("Cache-Control"));
        assertEquals("nosniff", r.header("X-Content-Type-Options"));
        assertTrue(r.header("Content-Security-Policy"), r.header("Content-Security-Policy").contains("frame-ancestors 'none'"));
        assertTrue(r.header("Content-Security-Policy"), r.header("Content-Security-Policy").contains("script-src 'self'"));
        assertFalse("no inline script is allowed", r.header("Content-Security-Policy").contains("unsafe-inline"));

        HttpExchange.Response page = http("GET", "/").send();
        assertEquals(page.toString(), 200, page.status());
        assertTrue(page.header("Content-Type"), page.header("Content-Type").startsWith("text/html"));
        assertTrue(page.header("Content-Security-Policy").contains("frame-ancestors 'none'"));
    }

    @Test
    public void aLoginGivesAStrictHttpOnlyCookieAndChangesNeedTheCsrfTokenAndTheOwnOrigin() {
        HttpExchange.Response r = http("POST", "/api/login").header("Origin", origin())
                .json("{\"secret\": \"" + secret() + "\"}").send();
        String setCookie = r.header("Set-Cookie");
        assertTrue(setCookie, setCookie.startsWith("__Host-bulkhead_session="));
        assertTrue(setCookie, setCookie.contains("; Secure") && setCookie.contains("Path=/") && !setCookie.contains("Domain"));
        assertTrue(setCookie, setCookie.contains("HttpOnly"));
        assertTrue(setCookie, setCookie.contains("SameSite=Strict"));
        Login login = new Login(setCookie.split(";")[0], json(r).path("csrf_token").asText());
        String create = "{\"name\": \"csrf-probe\", \"label\": \"red\"}";
        byte[] state = stateBytes();

        assertProblem(403, http("POST", "/api/qubes").header("Cookie", login.cookie()).header("Origin", origin()).json(create).send());
        assertProblem(403, http("POST", "/api/qubes").header("Cookie", login.cookie()).header("Origin", origin())
                .header("X-CSRF-Token", "not-the-token").json(create).send());
        assertProblem(403, http("POST", "/api/qubes").header("Cookie", login.cookie()).header("X-CSRF-Token", login.csrf())
                .header("Origin", "http://evil.example").json(create).send());
        assertProblem(403, http("POST", "/api/qubes").header("Cookie", login.cookie()).header("X-CSRF-Token", login.csrf())
                .json(create).send());
        assertProblem(403, bearer("POST", "/api/qubes").header("Origin", "http://evil.example").json(create).send());
        assertProblem(403, http("POST", "/api/login").header("Origin", "http://evil.example")
                .json("{\"secret\": \"" + secret() + "\"}").send());
        assertTrue("nothing was created", admin().find("csrf-probe").isEmpty());
        assertArrayEquals("the state file is untouched", state, stateBytes());

        HttpExchange.Response created = http("POST", "/api/qubes").header("Cookie", login.cookie())
                .header("X-CSRF-Token", login.csrf()).header("Origin", origin()).json(create).send();
        assertEquals(created.toString(), 201, created.status());
        assertEquals("/api/qubes/csrf-probe", created.header("Location"));
        assertEquals(Label.RED, admin().get("csrf-probe").label());

        HttpExchange.Response session = http("GET", "/api/session").header("Cookie", login.cookie()).send();
        assertEquals(login.csrf(), json(session).path("csrf_token").asText());
        assertEquals(204, http("POST", "/api/logout").header("Cookie", login.cookie()).header("X-CSRF-Token", login.csrf())
                .header("Origin", origin()).send().status());
        assertProblem(401, http("GET", "/api/qubes").header("Cookie", login.cookie()).send());
    }

    /** Every page asks for the prompts: without the policy bundle (not installed here) that is an empty list, not a 5xx. */
    @Test
    public void withoutThePolicyBundleNoPromptWaitsAndTheListSaysItIsUnavailable() {
        HttpExchange.Response r = bearer("GET", "/api/policy/prompts").send();
        assertEquals(r.toString(), 200, r.status());
        assertEquals(0, json(r).path("prompts").size());
        assertEquals(r.toString(), false, json(r).path("available").asBoolean(true));
        assertProblem(503, bearer("GET", "/api/policy/calls").send());
    }

    @Test
    public void aHostHeaderNamingAnythingElseIsRefused() {
        for (String host : List.of("evil.example:" + port, "evil.example", "127.0.0.1:" + (port == 1 ? 2 : port - 1), "10.0.0.1:" + port)) {
            assertProblem(421, http("GET", "/").header("Host", host).send());
            assertProblem(421, bearer("GET", "/api/qubes").header("Host", host).send());
        }
        assertProblem(421, http("GET", "/").header("Host", null).send());
        assertProblem(421, bearer("POST", "/api/qubes").header("Host", "rebound.example:" + port)
                .json("{\"name\": \"rebound\", \"label\": \"red\"}").send());
        assertTrue(admin().find("rebound").isEmpty());
        for (String host : List.of("localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port)) {
            assertEquals(host, 200, bearer("GET", "/api/qubes").header("Host", host).send().status());
        }
    }

    @Test
    public void malformedJsonIs400AndChangesNothing() {
        admin().create(new QubeSpec("intact", QubeClass.AppVM, Label.BLUE, java.util.Map.of()));
        byte[] state = stateBytes();
        int qubes = admin().list().size();

        assertProblem(400, bearer("POST", "/api/qubes").json("{\"name\": \"half").send());
        assertProblem(400, bearer("POST", "/api/qubes").json("[\"name\", \"label\"]").send());
        assertProblem(400, bearer("POST", "/api/qubes").json("{\"name\": \"x\", \"label\": \"red\"} trailing").send());
        assertProblem(400, bearer("PUT", "/api/qubes/intact/properties/label").json("{value: green}").send());
        assertProblem(400, bearer("PUT", "/api/qubes/intact/firewall").json("{\"rules\": [").send());

        assertEquals(qubes, admin().list().size());
        assertEquals(Label.BLUE, admin().get("intact").label());
        assertArrayEquals("the state file is untouched", state, stateBytes());
    }

    /**
     * The hostile corpus the console's fuzz tests replay against its parsers, here against the real
     * platform: no body gets a 5xx, and a body that is refused leaves the state file as it was.
     */
    @Test
    public void theHostileCorpusIsRefusedWithoutChangingTheState() throws IOException {
        admin().create(new QubeSpec("fuzzed", QubeClass.AppVM, Label.BLUE, java.util.Map.of()));
        java.nio.file.Path corpus = workspace().resolve("bundles/console/src/test/resources/fuzz/api-bodies.txt");
        List<String[]> targets = List.of(new String[] { "POST", "/api/qubes" },
                new String[] { "PUT", "/api/qubes/fuzzed/properties/label" }, new String[] { "PUT", "/api/qubes/fuzzed/firewall" },
                new String[] { "POST", "/api/qubes/fuzzed/firewall" }, new String[] { "POST", "/api/qubes/fuzzed/actions/shutdown" },
                new String[] { "PUT", "/api/global/default_netvm" });
        int refused = 0;
        for (String line : Files.readString(corpus).split("\n", -1)) {
            if (line.startsWith("#")) {
                continue;
            }
            byte[] body = line.startsWith("hex:") ? java.util.HexFormat.of().parseHex(line.substring(4)) : line.getBytes(StandardCharsets.UTF_8);
            for (String[] t : targets) {
                byte[] state = stateBytes();
                HttpExchange.Response r = bearer(t[0], t[1]).body(body, "application/json").send();
                assertTrue(t[0] + " " + t[1] + " " + line + ": " + r, r.status() < 500);
                if (r.status() >= 400) {
                    assertProblem(r.status(), r);
                    assertArrayEquals(t[0] + " " + t[1] + " " + line + " was refused, yet changed the state", state, stateBytes());
                    refused++;
                }
            }
        }
        assertTrue("the corpus was replayed: " + refused, refused > 400);
    }

    @Test
    public void refusalsAreProblemDetailsWithTheRightStatus() {
        admin().create(new QubeSpec("halted", QubeClass.AppVM, Label.GRAY, java.util.Map.of()));
        byte[] state = stateBytes();

        HttpExchange.Response missing = bearer("GET", "/api/qubes/nothing-here").send();
        assertProblem(404, missing);
        assertTrue(missing.body(), json(missing).path("detail").asText().contains("nothing-here"));

        HttpExchange.Response badLabel = bearer("POST", "/api/qubes").json("{\"name\": \"pinkish\", \"label\": \"pink\"}").send();
        assertProblem(422, badLabel);
        assertEquals("pink", json(badLabel).path("value").asText());
        assertProblem(422, bearer("POST", "/api/qubes").json("{\"name\": \"9starts-with-digit\", \"label\": \"red\"}").send());
        assertProblem(422, bearer("POST", "/api/qubes").json("{\"name\": \"x\", \"label\": \"red\", \"colour\": \"red\"}").send());
        assertProblem(422, bearer("PUT", "/api/qubes/halted/properties/memory").json("{\"value\": \"lots\"}").send());
        assertProblem(422, bearer("POST", "/api/qubes/halted/firewall").json("{\"rule\": \"action=maybe\"}").send());
        assertProblem(409, bearer("POST", "/api/qubes/halted/actions/shutdown").json("{}").send());
        assertProblem(409, bearer("GET", "/api/qubes/halted/stats").send());
        assertProblem(404, bearer("POST", "/api/qubes/halted/actions/explode").json("{}").send());
        HttpExchange.Response wrongMethod = bearer("PATCH", "/api/qubes").send();
        assertProblem(405, wrongMethod);
        assertEquals("GET, POST", wrongMethod.header("Allow"));
        assertProblem(415, bearer("POST", "/api/qubes").json("{\"name\": \"x\", \"label\": \"red\"}")
                .header("Content-Type", "text/plain").send());

        assertTrue(admin().find("pinkish").isEmpty());
        assertArrayEquals("the state file is untouched", state, stateBytes());
    }

    @Test
    public void propertiesFeaturesTagsAndFirewallRulesChangeThroughTheApi() {
        String work = "/api/qubes/apiwork";
        assertEquals(201, bearer("POST", "/api/qubes").json("{\"name\": \"apiwork\", \"label\": \"green\","
                + " \"properties\": {\"memory\": \"200\"}}").send().status());
        assertEquals("200", admin().get("apiwork").value(dev.bulkhead.api.QubeProperty.MEMORY));

        HttpExchange.Response label = bearer("PUT", work + "/properties/label").json("{\"value\": \"purple\"}").send();
        assertEquals(label.toString(), 200, label.status());
        assertEquals("purple", json(label).path("value").asText());
        assertEquals(Label.PURPLE, admin().get("apiwork").label());
        assertEquals(200, bearer("DELETE", work + "/properties/memory").send().status());
        assertTrue(admin().get("apiwork").property(dev.bulkhead.api.QubeProperty.MEMORY).isDefault());

        assertEquals(200, bearer("PUT", work + "/features/service.cups").json("{\"value\": \"1\"}").send().status());
        assertEquals("1", admin().get("apiwork").features().get("service.cups"));
        assertEquals(200, bearer("PUT", work + "/tags/audited").send().status());
        assertTrue(admin().get("apiwork").tags().contains("audited"));

        assertEquals(List.of("action=accept"), admin().firewallRules("apiwork").stream().map(Object::toString).toList());
        HttpExchange.Response replaced = bearer("PUT", work + "/firewall")
                .json("{\"rules\": [\"action=accept proto=tcp dsthost=192.0.2.0/24 dstports=443\"]}").send();
        assertEquals(replaced.toString(), 200, replaced.status());
        HttpExchange.Response added = bearer("POST", work + "/firewall")
                .json("{\"rule\": \"action=accept specialtarget=dns\", \"before\": 0}").send();
        assertEquals(added.toString(), 201, added.status());
        assertEquals(List.of("action=accept specialtarget=dns", "action=accept proto=tcp dsthost=192.0.2.0/24 dstports=443"),
                admin().firewallRules("apiwork").stream().map(Object::toString).toList());
        HttpExchange.Response removed = bearer("DELETE", work + "/firewall/0").send();
        assertEquals(1, json(removed).path("rules").size());
        assertProblem(404, bearer("DELETE", work + "/firewall/7").send());
        assertEquals(1, admin().firewallRules("apiwork").size());

        HttpExchange.Response roles = bearer("GET", "/api/roles").send();
        assertEquals(admin().roles().size(), json(roles).path("roles").size());
        JsonNode netvm = StreamSupport.stream(json(roles).path("roles").spliterator(), false)
                .filter(r -> r.path("id").asText().equals("netvm")).findFirst().orElseThrow();
        assertTrue("a NetVM without an uplink is said to have none: " + netvm, netvm.path("notices").get(0).asText().startsWith("no uplink"));
        assertEquals(204, bearer("DELETE", work).send().status());
        assertTrue(admin().find("apiwork").isEmpty());
    }

    @Test
    public void theEventStreamDeliversAStateChangeAndStatsFollowTheRunningQube() throws IOException {
        admin().create(new QubeSpec("streamed", QubeClass.AppVM, Label.ORANGE, java.util.Map.of()));
        try (Socket stream = bearer("GET", "/api/events").open()) {
            BufferedReader in = new BufferedReader(new InputStreamReader(stream.getInputStream(), StandardCharsets.UTF_8));
            assertTrue(in.readLine().contains(" 200 "));
            String line;
            while (!(line = in.readLine()).isEmpty()) {
                if (line.toLowerCase().startsWith("content-type:")) {
                    assertTrue(line, line.contains("text/event-stream"));
                }
            }
            HttpExchange.Response started = bearer("POST", "/api/qubes/streamed/actions/start").json("{}").send();
            assertEquals(started.toString(), 200, started.status());
            assertEquals("Running", json(started).path("state").asText());

            JsonNode event = null;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    JsonNode e = JSON.readTree(line.substring(6));
                    if ("domain-start".equals(e.path("type").asText()) && "streamed".equals(e.path("qube").asText())) {
                        event = e;
                        break;
                    }
                }
            }
            assertNotNull("the stream delivers domain-start of the started qube", event);
        }
        assertEquals(PowerState.Running, admin().get("streamed").state());
        HttpExchange.Response stats = bearer("GET", "/api/qubes/streamed/stats").send();
        assertEquals(stats.toString(), 200, stats.status());
        assertTrue(stats.body(), json(stats).path("memory_bytes").asLong() > 0);
        assertTrue(json(bearer("GET", "/api/stats").send()).path("qubes").has("streamed"));
    }

    /**
     * README's curl session, read from README and run by sh as written but for what it cannot know: the
     * token it says to take from qvm:console token create, and this console's port for 8137. Its event
     * stream never ends by itself, so it is given three seconds. Each command must get a success.
     */
    @Test
    public void theReadmesCurlSessionRunsAsWritten() {
        ReadmeSessions.Block block = ReadmeSessions.testedBy("ConsoleApiIT").get(0);
        List<String> lines = new java.util.ArrayList<>();
        StringBuilder pending = new StringBuilder();
        for (String line : block.lines()) {
            pending.append(line.endsWith("\\") ? line.substring(0, line.length() - 1) : line + "\n");
            if (!line.endsWith("\\")) {
                lines.add(pending.toString().strip());
                pending.setLength(0);
            }
        }
        assertTrue(block + " starts by naming the token: " + lines, lines.get(0).matches("token=bht_\\.\\.\\.\\s+#.*"));
        List<String> curls = lines.subList(1, lines.size());
        assertEquals(block + ": " + curls, 5, curls.size());
        for (String curl : curls) {
            assertTrue(block + ": " + curl, curl.startsWith("curl ") && curl.contains("http://127.0.0.1:8137/api/"));
            boolean stream = curl.contains(" -sN ");
            String command = "token=" + token + "\n" + curl.replace("http://127.0.0.1:8137", origin())
                    + (stream ? " --max-time 3" : "") + " -w '\\n%{http_code} %{content_type}'";
            HostCommand.Result r = HostCommand.run("sh", "-c", command);
            List<String> printed = r.stdout().lines().toList();
            String answer = printed.isEmpty() ? "" : printed.get(printed.size() - 1);
            String where = block + ": " + curl + " printed " + r.stdout() + r.stderr();
            // curl's exit 28: the time given to the event stream ran out, as it does for every stream left open
            assertEquals(where, stream ? 28 : 0, r.exitStatus());
            assertTrue(where, answer.matches("20[01] .*"));
            if (stream) {
                assertTrue(where, answer.contains("text/event-stream"));
            }
        }
        assertEquals("the qube README makes and starts", PowerState.Running, admin().get("work").state());
        assertEquals(Label.BLUE, admin().get("work").label());
        assertTrue(admin().firewallRules("work").toString(), admin().firewallRules("work").stream().map(Object::toString)
                .anyMatch(r -> r.equals("action=accept proto=tcp dsthost=192.0.2.1/32 dstports=443")));
    }

    @Test
    public void thePropertyDeclarationsGiveEachTypeAndItsLimits() {
        HttpExchange.Response r = bearer("GET", "/api/properties").send();
        assertEquals(r.toString(), 200, r.status());
        Map<String, JsonNode> byName = new LinkedHashMap<>();
        json(r).path("properties").forEach(p -> byName.put(p.path("name").asText(), p));
        assertEquals(Arrays.stream(QubeProperty.values()).map(QubeProperty::id).toList(),
                List.copyOf(byName.keySet()));
        JsonNode memory = byName.get("memory");
        assertEquals(memory.toString(), "int", memory.path("type").asText());
        assertEquals(memory.toString(), 1, memory.path("min").asInt());
        assertEquals(memory.toString(), 1 << 20, memory.path("max").asInt());
        assertEquals("label", byName.get("label").path("type").asText());
        assertEquals("qube", byName.get("netvm").path("type").asText());
        assertEquals("bool", byName.get("autostart").path("type").asText());
        assertTrue(byName.get("qid").path("read_only").asBoolean());
        assertFalse("a template changes only while halted", byName.get("template").path("changes_while_running").asBoolean());
        assertFalse("a bool has no limits: " + byName.get("autostart"), byName.get("autostart").has("max"));
        assertEquals(1024, byName.get("kernelopts").path("max").asInt());
    }

    @Test
    public void volumesAreListedAndAHaltedQubesVolumeIsRevertedThroughTheApi() {
        admin().create(new QubeSpec("apivol", QubeClass.AppVM, Label.GREEN, Map.of()));
        admin().setVolumeRevisionsToKeep("apivol", "private", 2);
        admin().start("apivol");
        admin().kill("apivol");
        String vol = "/api/qubes/apivol/volumes";

        HttpExchange.Response list = bearer("GET", vol).send();
        assertEquals(list.toString(), 200, list.status());
        assertEquals(list.body(), List.of("root", "private", "volatile"),
                StreamSupport.stream(json(list).path("volumes").spliterator(), false).map(v -> v.path("name").asText()).toList());
        JsonNode priv = json(bearer("GET", vol + "/private").send());
        assertEquals(priv.toString(), 2, priv.path("revisions_to_keep").asInt());
        List<String> kept = admin().volume("apivol", "private").revisions().stream().map(VolumeRevision::name).toList();
        assertFalse("a start kept the volume as it was: " + priv, kept.isEmpty());
        assertEquals(priv.toString(), kept.get(0), priv.path("revisions").get(0).path("name").asText());

        assertProblem(422, bearer("POST", vol + "/private/revert").json("{\"revision\": 7}").send());
        assertTrue(bearer("POST", vol + "/private/revert").json("{\"revision\": \"no-such-revision\"}").send().status() >= 400);
        assertProblem(404, bearer("POST", vol + "/private/undo").json("{}").send());
        assertEquals("a refused revert uses nothing up", kept.size(), admin().volume("apivol", "private").revisions().size());

        HttpExchange.Response reverted = bearer("POST", vol + "/private/revert").json("{\"revision\": \"" + kept.get(0) + "\"}").send();
        assertEquals(reverted.toString(), 200, reverted.status());
        assertEquals("the revision is used up", kept.size() - 1, json(reverted).path("revisions").size());
        assertEquals(kept.size() - 1, admin().volume("apivol", "private").revisions().size());
    }

    /**
     * A running qube behind a FirewallVM with a rule whose host name its FirewallVM cannot resolve (the NetVM
     * behind it has no uplink, so nothing answers): the platform keeps the rule and says, through the API,
     * that it allows nothing until the name resolves.
     */
    @Test
    public void aRuleItsFirewallVmCannotPutInForceIsListedAmongTheProblems() {
        admin().create(new QubeSpec("pnet", QubeClass.AppVM, Label.RED, Map.of("provides_network", "True")));
        admin().setFeature("pnet", "role", "netvm");
        admin().create(new QubeSpec("pfw", QubeClass.AppVM, Label.GREEN, Map.of("provides_network", "True", "netvm", "pnet")));
        admin().setFeature("pfw", "role", "firewall");
        admin().create(new QubeSpec("pclient", QubeClass.AppVM, Label.BLUE, Map.of("netvm", "pfw")));
        admin().start("pclient");
        String fw = "/api/qubes/pclient/firewall";
        assertEquals("all in force before", 0, json(bearer("GET", fw).send()).path("problems").size());

        HttpExchange.Response set = bearer("PUT", fw).json("{\"rules\": [\"action=accept dsthost=nowhere.test\", \"action=accept specialtarget=dns\"]}")
                .send();
        assertEquals(set.toString(), 200, set.status());
        awaitTrue("the API to list the rule pfw cannot put in force", QUBE_TIMEOUT,
                () -> json(bearer("GET", fw).send()).path("problems").size() == 1, () -> bearer("GET", fw).send().body());
        String problem = json(bearer("GET", fw).send()).path("problems").get(0).asText();
        assertTrue(problem, problem.startsWith("rule 0 of 'pclient' (action=accept dsthost=nowhere.test): host name 'nowhere.test' ")
                && problem.contains(" in 'pfw'; the rule allows nothing until it resolves"));
        assertEquals("the qube's rules are kept as given", "action=accept dsthost=nowhere.test",
                admin().firewallRules("pclient").get(0).toString());
        assertEquals(admin().firewallProblems("pclient"), List.of(problem));
    }

    @Test
    public void aFirewallListReplacesOnlyTheRulesItSaysItReplacesAndNamesRulesThatNeverMatch() {
        admin().create(new QubeSpec("apifw", QubeClass.AppVM, Label.GREEN, Map.of()));
        String fw = "/api/qubes/apifw/firewall";
        String rule = "action=accept proto=tcp dsthost=192.0.2.0/24 dstports=443";
        assertEquals(List.of("action=accept"), admin().firewallRules("apifw").stream().map(Object::toString).toList());

        HttpExchange.Response stale = bearer("PUT", fw).json("{\"rules\": [\"" + rule + "\"], \"replaces\": [\"action=drop\"]}").send();
        assertProblem(409, stale);
        assertEquals("a stale list changes nothing", List.of("action=accept"),
                admin().firewallRules("apifw").stream().map(Object::toString).toList());

        HttpExchange.Response bad = bearer("PUT", fw).json("{\"rules\": [\"action=accept proto=tcp dstports=70000\"], \"replaces\": [\"action=accept\"]}")
                .send();
        assertProblem(422, bad);
        assertEquals("the refusal names the rule and the field: " + bad, "rule 0 dstports", json(bad).path("subject").asText());

        HttpExchange.Response moved = bearer("PUT", fw).json("{\"rules\": [\"" + rule + "\", \"action=accept\"], \"replaces\": [\"action=accept\"]}")
                .send();
        assertEquals(moved.toString(), 200, moved.status());
        assertEquals(List.of(rule, "action=accept"), admin().firewallRules("apifw").stream().map(Object::toString).toList());
        assertFalse("nothing before the accept-everything rule matches all it does: " + moved.body(),
                json(moved).path("rules").get(1).has("shadowed_by"));
        assertTrue("a halted qube's rules are all in force as far as it goes: " + moved.body(),
                json(moved).path("problems").isArray() && json(moved).path("problems").isEmpty());

        HttpExchange.Response behind = bearer("PUT", fw).json("{\"rules\": [\"action=accept\", \"" + rule + "\"]}").send();
        assertEquals(behind.toString(), 200, behind.status());
        assertEquals("a rule after the accept-everything one never matches, and the list says which rule hides it: " + behind.body(),
                0, json(behind).path("rules").get(1).path("shadowed_by").asInt(-1));
        assertFalse(behind.body(), json(behind).path("rules").get(0).has("shadowed_by"));
    }

    @Test
    public void theOpenApiDocumentIsServed() {
        HttpExchange.Response r = http("GET", "/api/openapi.json").send();
        assertEquals(200, r.status());
        JsonNode doc = json(r);
        assertTrue(doc.path("openapi").asText().startsWith("3."));
        assertTrue(doc.path("paths").has("/api/qubes"));
        assertTrue(doc.path("paths").has("/api/events"));
        assertTrue(doc.path("paths").has("/api/properties"));
        assertTrue(doc.path("paths").has("/api/qubes/{name}/volumes/{volume}/revert"));
    }
}
