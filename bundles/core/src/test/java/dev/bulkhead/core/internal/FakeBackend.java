package dev.bulkhead.core.internal;

import java.time.Duration;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.bulkhead.api.AdminException;
import dev.bulkhead.api.ExecResult;
import dev.bulkhead.api.PowerState;
import dev.bulkhead.api.QubeStats;
import dev.bulkhead.api.hypervisor.DomainSpec;
import dev.bulkhead.api.hypervisor.DomainStatus;
import dev.bulkhead.api.hypervisor.HypervisorBackend;
import dev.bulkhead.api.hypervisor.LinkEndpoint;
import dev.bulkhead.api.hypervisor.LinkSpec;

/**
 * An in-memory hypervisor for fast tests of the core's logic. Its twin, the real lite backend,
 * is exercised by the integration tests.
 */
final class FakeBackend implements HypervisorBackend {
    final Map<String, PowerState> domains = new ConcurrentHashMap<>();
    final Map<String, DomainSpec> specs = new ConcurrentHashMap<>();
    final Map<String, LinkSpec> links = new ConcurrentHashMap<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    /** What {@link #stats} reports for each running domain. */
    final Map<String, QubeStats> stats = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "lite";
    }

    @Override
    public boolean isSupported() {
        return true;
    }

    @Override
    public void start(DomainSpec spec) {
        calls.add("start " + spec.name());
        if (domains.get(spec.name()) == PowerState.Running) {
            throw new AdminException(spec.name() + " already runs");
        }
        domains.put(spec.name(), PowerState.Running);
        specs.put(spec.name(), spec);
    }

    @Override
    public void shutdown(String name, Duration timeout) {
        calls.add("shutdown " + name);
        domains.remove(name);
    }

    @Override
    public void kill(String name) {
        calls.add("kill " + name);
        domains.remove(name);
    }

    @Override
    public void pause(String name) {
        domains.put(name, PowerState.Paused);
    }

    @Override
    public void unpause(String name) {
        domains.put(name, PowerState.Running);
    }

    @Override
    public PowerState state(String name) {
        return domains.getOrDefault(name, PowerState.Halted);
    }

    @Override
    public ExecResult exec(String name, List<String> command, byte[] stdin, Duration timeout) {
        calls.add("exec " + name + " " + String.join(" ", command));
        return new ExecResult(0, name.getBytes(), new byte[0]);
    }

    @Override
    public void destroy(String name) {
        calls.add("destroy " + name);
        domains.remove(name);
    }

    @Override
    public List<DomainStatus> domains() {
        return domains.entrySet().stream().map(e -> new DomainStatus(e.getKey(), e.getValue())).toList();
    }

    @Override
    public String consoleLog(String name) {
        return "";
    }

    @Override
    public Optional<QubeStats> stats(String name) {
        return domains.containsKey(name) ? Optional.ofNullable(stats.get(name)) : Optional.empty();
    }

    @Override
    public LinkEndpoint connect(LinkSpec link) {
        calls.add("connect " + link.client() + " " + link.netvm());
        links.put(link.client(), link);
        return new LinkEndpoint(link, "vif" + link.clientQid() + ".0", "eth0");
    }

    @Override
    public void disconnect(LinkSpec link) {
        calls.add("disconnect " + link.client() + " " + link.netvm());
        links.remove(link.client());
    }
}
