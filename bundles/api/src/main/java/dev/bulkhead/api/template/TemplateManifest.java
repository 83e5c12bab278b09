package dev.bulkhead.api.template;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a template package says of itself; signed, so nothing in it can be changed unnoticed.
 *
 * @param format   the package format, {@value #FORMAT}
 * @param name     the template's name, which becomes its TemplateVM's name
 * @param version  its version
 * @param summary  one line for people
 * @param built    when it was built, as an ISO-8601 instant
 * @param backends the backends it runs on
 * @param sizes    volume sizes in bytes its TemplateVM gets, by volume name ({@code root}, {@code private})
 * @param files    the payload, in package order
 */
public record TemplateManifest(int format, String name, String version, String summary, String built,
        List<String> backends, Map<String, Long> sizes, List<PayloadFile> files) {
    /** The package format this API describes. */
    public static final int FORMAT = 1;

    public TemplateManifest {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        summary = summary == null ? "" : summary;
        built = built == null ? "" : built;
        backends = List.copyOf(backends);
        sizes = Map.copyOf(sizes);
        files = List.copyOf(files);
    }

    /** The payload files a backend uses. */
    public List<PayloadFile> filesFor(String backend) {
        return files.stream().filter(f -> f.backends().contains(backend)).toList();
    }

    /** Bytes of all payload files. */
    public long payloadSize() {
        return files.stream().mapToLong(PayloadFile::size).sum();
    }
}
