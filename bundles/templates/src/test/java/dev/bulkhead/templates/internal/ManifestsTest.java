package dev.bulkhead.templates.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulkhead.api.InvalidValueException;
import dev.bulkhead.api.template.PayloadFile;
import dev.bulkhead.api.template.TemplateManifest;

class ManifestsTest {
    private static final String SHA = "ab".repeat(32);
    private static final TemplateManifest MANIFEST = new TemplateManifest(1, "debian-12", "1.0+b2", "A template", "2025-01-01T00:00:00Z",
            List.of("lite", "qemu"), Map.of("private", 4L << 30),
            List.of(new PayloadFile("root.tar.gz", "rootfs", List.of("lite"), 1234, SHA, 5678),
                    new PayloadFile("vmlinuz", "kernel", List.of("qemu"), 99, SHA, 99)));

    @Test
    void whatIsWrittenParsesToTheSameManifest() {
        assertEquals(MANIFEST, Manifests.parse(Manifests.write(MANIFEST)));
        assertEquals(List.of("vmlinuz"), MANIFEST.filesFor("qemu").stream().map(PayloadFile::name).toList());
    }

    @Test
    void eachBrokenRuleIsNamed() {
        assertRefused(json().replace("\"format\" : 1", "\"format\" : 2"), "invalid manifest format '2': format 1, the one this platform reads");
        assertRefused(json().replace("\"debian-12\"", "\"../etc\""), "invalid template name '../etc'");
        assertRefused(json().replace("\"1.0+b2\"", "\"1.0 beta\""), "invalid template version '1.0 beta'");
        assertRefused(json().replace(SHA, "xyz"), "invalid sha256 of payload file root.tar.gz 'xyz': 64 lower-case hex digits");
        assertRefused(json().replace("\"vmlinuz\"", "\"../vmlinuz\""), "invalid payload file name '../vmlinuz'");
        assertRefused(json().replace("\"kernel\"", "\"firmware\""), "invalid kind of payload file vmlinuz 'firmware'");
        assertRefused(json().replace("\"backends\" : [ \"qemu\" ]", "\"backends\" : [ \"xen\" ]"),
                "invalid backend 'xen': one of the template's backends [lite, qemu]");
        assertRefused(json().replace("\"summary\"", "\"surprise\" : 1, \"summary\""), "invalid manifest field 'surprise'");
        assertRefused("[]", "manifest.json is not a JSON object");
    }

    private static String json() {
        return new String(Manifests.write(MANIFEST), StandardCharsets.UTF_8);
    }

    private static void assertRefused(String json, String message) {
        Exception e = assertThrows(Exception.class, () -> Manifests.parse(json.getBytes(StandardCharsets.UTF_8)));
        assertEquals(true, e.getMessage().startsWith(message), e.getMessage());
        assertEquals(true, e instanceof InvalidValueException || e.getMessage().startsWith("manifest.json"), e.toString());
    }
}
