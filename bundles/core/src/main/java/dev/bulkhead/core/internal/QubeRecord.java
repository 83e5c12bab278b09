package dev.bulkhead.core.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.bulkhead.api.QubeClass;
import dev.bulkhead.api.firewall.FirewallRule;

/** What is stored of one qube: identity, the properties set on it, features, tags, firewall rules and volume settings. */
final class QubeRecord {
    final String name;
    final int qid;
    final QubeClass klass;
    /** Only the values set on this qube; absent means the default applies. */
    final Map<String, String> properties;
    final Map<String, String> features;
    final TreeSet<String> tags;
    /** The firewall rules set on this qube; {@code null} means Qubes' default, accept everything. */
    List<FirewallRule> firewall;
    /** What is set on its volumes, by volume name; a volume not here has its defaults. */
    final Map<String, VolumeConfig> volumes = new TreeMap<>();

    QubeRecord(String name, int qid, QubeClass klass, Map<String, String> properties, Map<String, String> features,
            java.util.Collection<String> tags) {
        this.name = name;
        this.qid = qid;
        this.klass = klass;
        this.properties = new LinkedHashMap<>(properties);
        this.features = new TreeMap<>(features);
        this.tags = new TreeSet<>(tags);
    }

    QubeRecord copy() {
        QubeRecord c = new QubeRecord(name, qid, klass, properties, features, tags);
        c.firewall = firewall;
        c.volumes.putAll(volumes);
        return c;
    }

    List<FirewallRule> firewallRules() {
        return firewall == null ? List.of(FirewallRule.ACCEPT_ALL) : firewall;
    }

    String own(String property) {
        return properties.get(property);
    }

    VolumeConfig volume(String volume) {
        return volumes.getOrDefault(volume, VolumeConfig.NONE);
    }
}
