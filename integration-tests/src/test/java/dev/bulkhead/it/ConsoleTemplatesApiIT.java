package dev.bulkhead.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.Before;
import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulkhead.api.Label;
import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.QubeSpec;
import dev.bulkhead.api.template.TemplateStore;

/**
 * The templates resources and the CPU and memory history of the Admin API, over real HTTP on
 * loopback with an API token: a shipped package listed, installed as a job, verified, refused removal
 * while a qube uses it, removed; a tampered or oversized upload refused with its reason and nothing
 * left behind; the history of a qube sampled while nobody asked, its stop, its removal.
 */
public class ConsoleTemplatesApiIT extends ConsoleTemplatesSupport {
    private int port;
    private String token;

    @Before
    public void startConsole() {
        port = startConsoleOnLoopback();
        token = apiToken();
        awaitTrue("the templates resource to use the test's directory", QUBE_TIMEOUT,
                () -> bearer("GET", "/api/templates").send().body().contains(PACKAGE), () -> bearer("GET", "/api/templates").send().toString());
    }

    private HttpExchange bearer(String method, String path) {
        return new HttpExchange("127.0.0.1", port).request(method, path).header("Authorization", "Bearer " + token);
    }

    private static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) {
            if (value.equals(n.path(field).asText())) {
                return n;
            }
        }
        return null;
    }

    /** Waits for a job to end and returns it, with every phase it was seen in. */
    private JsonNode awaitJob(String location, List<String> phases) {
        AtomicReference<JsonNode> job = new AtomicReference<>();
        awaitTrue("install job " + location + " to end", QUBE_TIMEOUT, () -> {
            JsonNode j = json(bearer("GET", location).send());
            job.set(j);
            if (!j.path("phase").isNull() && !phases.contains(j.path("phase").asText())) {
                phases.add(j.path("phase").asText());
            }
            return Set.of("done", "failed").contains(j.path("state").asText());
        }, () -> String.valueOf(job.get()));
        return job.get();
    }

    @Test
    public void aShippedTemplateIsInstalledVerifiedRefusedRemovalWhileUsedAndRemoved() {
        JsonNode all = json(bearer("GET", "/api/templates").send());
        assertEquals(shipped.toString(), all.path("directory").asText());
        JsonNode offered = find(all.path("available"), "file", PACKAGE);
        assertEquals(all.toString(), TEMPLATE, offered.path("name").asText());
        assertEquals("1.0", offered.path("version").asText());
        assertFalse(offered.path("installed").asBoolean());

        HttpExchange.Response started = bearer("POST", "/api/templates/installs").json("{\"file\": \"" + PACKAGE + "\"}").send();
        assertEquals(started.toString(), 202, started.status());
        String location = started.header("Location");
        assertTrue(location, location.startsWith("/api/templates/installs/"));
        JsonNode job = awaitJob(location, new ArrayList<>());
        assertEquals(job.toString(), "done", job.path("state").asText());
        assertEquals(TEMPLATE, job.path("template").asText());
        assertEquals("templates/" + PACKAGE, job.path("source").asText());

        admin().create(new QubeSpec("tpl-user", QubeClass.AppVM, Label.RED, Map.of("template", TEMPLATE)));
        all = json(bearer("GET", "/api/templates").send());
        JsonNode t = find(all.path("templates"), "name", TEMPLATE);
        assertEquals(all.toString(), "1.0", t.path("version").asText());
        assertTrue(t.path("key_trusted").asBoolean());
        assertEquals(16, t.path("key_id").asText().length());
        assertEquals("[\"tpl-user\"]", t.path("used_by").toString());
        assertTrue(find(all.path("available"), "file", PACKAGE).path("installed").asBoolean());

        JsonNode verified = json(bearer("POST", "/api/templates/installed/" + TEMPLATE + "/verify").send());
        assertTrue(verified.toString(), verified.path("ok").asBoolean());
        assertEquals(t.path("key_id").asText(), verified.path("key_id").asText());

        HttpExchange.Response refused = bearer("DELETE", "/api/templates/installed/" + TEMPLATE).send();
        assertEquals(refused.toString(), 409, refused.status());
        assertTrue(refused.body(), json(refused).path("detail").asText().contains("still used by tpl-user.template"));
        assertTrue(service(TemplateStore.class, null).find(TEMPLATE).isPresent());

        admin().remove("tpl-user");
        HttpExchange.Response removed = bearer("DELETE", "/api/templates/installed/" + TEMPLATE).send();
        assertEquals(removed.toString(), 204, removed.status());
        assertTrue(service(TemplateStore.class, null).find(TEMPLATE).isEmpty());
        assertTrue(admin().find(TEMPLATE).isEmpty());
        assertEquals(404, bearer("GET", "/api/templates/installed/" + TEMPLATE).send().status());
    }

    @Test
    public void aTamperedUploadIsRefusedWithItsReasonAndLeavesNothingBehind() {
        Set<String> before = dataTree();
        List<String> qubes = admin().list().stream().map(q -> q.name()).toList();

        HttpExchange.Response started = bearer("POST", "/api/templates/uploads?file=evil-1.0.bht")
                .body(tamperedPackage("evil"), "application/octet-stream").send();
        assertEquals(started.toString(), 202, started.status());
        assertEquals("upload evil-1.0.bht", json(started).path("source").asText());
        JsonNode job = awaitJob(started.header("Location"), new ArrayList<>());

        assertEquals(job.toString(), "failed", job.path("state").asText());
        assertTrue("the refusal names what is wrong: " + job, job.path("error").asText().contains("has SHA-256"));
        assertEquals("nothing left behind, the upload neither", before, dataTree());
        assertEquals(qubes, admin().list().stream().map(q -> q.name()).toList());
        assertEquals(List.of(), service(TemplateStore.class, null).list());
    }

    /** As qvm:template install: a key that is not trusted is refused, unless the install says allow_unknown_key=true. */
    @Test
    public void anUploadSignedByAKeyNotTrustedIsRefusedUnlessTheUploadAllowsItExplicitly() throws Exception {
        java.security.KeyPair stranger = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] strangers = TestPackages.pack("stranger", TestPackages.rootArchive(TestPackages.minimalRoot()), stranger,
                java.util.function.UnaryOperator.identity(), java.util.function.UnaryOperator.identity());
        Set<String> before = dataTree();

        HttpExchange.Response refused = bearer("POST", "/api/templates/uploads?file=stranger-1.0.bht").body(strangers, "application/octet-stream")
                .send();
        assertEquals(refused.toString(), 202, refused.status());
        JsonNode failed = awaitJob(refused.header("Location"), new ArrayList<>());
        assertEquals(failed.toString(), "failed", failed.path("state").asText());
        assertTrue("the refusal names the key: " + failed, failed.path("error").asText().contains("which is not trusted"));
        assertFalse(failed.toString(), failed.path("allow_unknown_key").asBoolean());
        assertEquals("nothing left behind", before, dataTree());
        assertTrue(service(TemplateStore.class, null).find("stranger").isEmpty());

        HttpExchange.Response unclear = bearer("POST", "/api/templates/uploads?file=stranger-1.0.bht&allow_unknown_key=yes")
                .body(strangers, "application/octet-stream").send();
        assertEquals(unclear.toString(), 422, unclear.status());

        HttpExchange.Response allowed = bearer("POST", "/api/templates/uploads?file=stranger-1.0.bht&allow_unknown_key=true")
                .body(strangers, "application/octet-stream").send();
        assertEquals(allowed.toString(), 202, allowed.status());
        JsonNode done = awaitJob(allowed.header("Location"), new ArrayList<>());
        assertEquals(done.toString(), "done", done.path("state").asText());
        assertTrue(done.toString(), done.path("allow_unknown_key").asBoolean());
        JsonNode installed = find(json(bearer("GET", "/api/templates").send()).path("templates"), "name", "stranger");
        assertFalse("installed, and marked as signed by a key not trusted: " + installed, installed.path("key_trusted").asBoolean());
    }

    /**
     * README, the templates page: install jobs live in memory and a restart forgets them, a running one
     * included; what is installed is what the template store lists. The console's templates part is
     * restarted here by a change of its settings.
     */
    @Test
    public void aRestartForgetsTheJobsAndTheStoreListsWhatIsInstalled() {
        HttpExchange.Response started = bearer("POST", "/api/templates/installs").json("{\"file\": \"" + PACKAGE + "\"}").send();
        assertEquals(started.toString(), 202, started.status());
        assertEquals("done", awaitJob(started.header("Location"), new ArrayList<>()).path("state").asText());
        assertTrue(bearer("GET", "/api/templates/installs").send().body().contains("templates/" + PACKAGE));

        configure(TEMPLATES_PID, "directory", shipped.toString(), "max.upload.mb", 2);
        awaitTrue("the restarted templates part to take the new setting", QUBE_TIMEOUT,
                () -> json(bearer("GET", "/api/templates").send()).path("max_upload_bytes").asLong() == 2 << 20,
                () -> bearer("GET", "/api/templates").send().body());
        assertEquals("the jobs are forgotten", 0, json(bearer("GET", "/api/templates/installs").send()).size());
        JsonNode all = json(bearer("GET", "/api/templates").send());
        assertEquals(all.toString(), "1.0", find(all.path("templates"), "name", TEMPLATE).path("version").asText());
        assertTrue(all.toString(), find(all.path("available"), "file", PACKAGE).path("installed").asBoolean());
    }

    @Test
    public void aGoodUploadInstallsThroughItsPhases() {
        HttpExchange.Response started = bearer("POST", "/api/templates/uploads?file=uploaded-2.0.bht")
                .body(goodPackage("uploaded"), "application/octet-stream").send();
        assertEquals(started.toString(), 202, started.status());
        List<String> phases = new ArrayList<>();
        JsonNode job = awaitJob(started.header("Location"), phases);

        assertEquals(job.toString(), "done", job.path("state").asText());
        assertEquals("uploaded", job.path("template").asText());
        assertEquals("done", job.path("phase").asText());
        assertTrue(service(TemplateStore.class, null).find("uploaded").isPresent());
        assertTrue("the job is listed: " + phases, bearer("GET", "/api/templates/installs").send().body().contains("uploaded-2.0.bht"));
    }

    @Test
    public void anUploadOverTheLimitOrOfTheWrongTypeIsRefusedAndLeavesNothingBehind() {
        Set<String> before = dataTree();
        HttpExchange.Response big = bearer("POST", "/api/templates/uploads?file=big-1.0.bht")
                .body(new byte[(1 << 20) + 1], "application/octet-stream").send();
        assertEquals(big.toString(), 413, big.status());
        assertTrue(big.body(), json(big).path("detail").asText().contains("larger than 1 MiB"));

        HttpExchange.Response wrongType = bearer("POST", "/api/templates/uploads?file=x-1.0.bht").json("{}").send();
        assertEquals(wrongType.toString(), 415, wrongType.status());
        HttpExchange.Response badName = bearer("POST", "/api/templates/uploads?file=../x").body(new byte[1], "application/octet-stream").send();
        assertEquals(badName.toString(), 422, badName.status());
        HttpExchange.Response outside = bearer("POST", "/api/templates/installs").json("{\"file\": \"../../etc/passwd\"}").send();
        assertEquals(outside.toString(), 422, outside.status());
        HttpExchange.Response missing = bearer("POST", "/api/templates/installs").json("{\"file\": \"nothere-1.0.bht\"}").send();
        assertEquals(missing.toString(), 404, missing.status());
        assertEquals(before, dataTree());
        assertEquals(List.of(), service(TemplateStore.class, null).list());
    }

    @Test
    public void theHistoryHoldsARunningQubesSamplesTakenWhileNobodyAskedItsStopAndForgetsItOnceRemoved() {
        admin().create(new QubeSpec("sampled", QubeClass.AppVM, Label.GREEN, Map.of()));
        admin().start("sampled");
        // nobody asks for stats meanwhile: the platform samples by itself
        awaitTrue("three samples of sampled", QUBE_TIMEOUT, () -> samples("sampled").size() >= 3, () -> samples("sampled").toString());

        JsonNode history = json(bearer("GET", "/api/stats/history?minutes=10&qube=sampled").send());
        assertEquals(1, history.path("period_seconds").asInt());
        assertEquals(10, history.path("retention_minutes").asInt());
        JsonNode qube = history.path("qubes").path("sampled");
        assertEquals(history.toString(), 400, qube.path("memory_mib").asInt());
        assertEquals(4000, qube.path("maxmem_mib").asInt());
        long previous = 0;
        for (JsonNode s : qube.path("samples")) {
            assertTrue(s.toString(), s.path("time").asLong() > previous);
            previous = s.path("time").asLong();
            assertTrue(s.toString(), s.path("running").asBoolean() && s.path("memory_bytes").asLong() > 0);
            assertTrue(s.toString(), s.path("cpu_percent").isNull() || s.path("cpu_percent").asDouble() >= 0);
        }

        admin().kill("sampled");
        awaitTrue("the stop is marked", QUBE_TIMEOUT, () -> samples("sampled").stream().anyMatch(s -> !s.path("running").asBoolean()),
                () -> samples("sampled").toString());
        assertTrue("a stopped qube keeps its history", json(bearer("GET", "/api/stats/history").send()).path("qubes").has("sampled"));

        admin().remove("sampled");
        awaitTrue("a removed qube's history goes", QUBE_TIMEOUT,
                () -> !json(bearer("GET", "/api/stats/history").send()).path("qubes").has("sampled"), () -> "still there");
        assertEquals(404, bearer("GET", "/api/stats/history?qube=sampled").send().status());
        for (String bad : List.of("0", "11", "x", "-1")) {
            HttpExchange.Response r = bearer("GET", "/api/stats/history?minutes=" + bad).send();
            assertEquals(r.toString(), 422, r.status());
        }
    }

    private List<JsonNode> samples(String qube) {
        List<JsonNode> all = new ArrayList<>();
        json(bearer("GET", "/api/stats/history?qube=" + qube).send()).path("qubes").path(qube).path("samples").forEach(all::add);
        return all;
    }
}
