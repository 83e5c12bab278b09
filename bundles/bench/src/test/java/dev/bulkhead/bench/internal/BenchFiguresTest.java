package dev.bulkhead.bench.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

class BenchFiguresTest {
    private static final long MS = 1_000_000;

    @Test
    void aMeasurementAgainstAFloorReportsMedianTopFloorAndRatioInMilliseconds() {
        ObjectNode out = new ObjectMapper().createObjectNode();
        BenchFigures.putAgainstFloor(out, List.of(30 * MS, 10 * MS, 20 * MS), 99, List.of(5 * MS, 4 * MS, 6 * MS), "bare_runc");
        assertEquals("{\"p50\":20.0,\"p99\":30.0,\"floor_bare_runc_p50\":5.0,\"ratio_p50\":4.0}", out.toString());
    }

    @Test
    void theHundredthPercentileIsReportedAsMax() {
        ObjectNode out = new ObjectMapper().createObjectNode();
        BenchFigures.putAgainstFloor(out, List.of(3 * MS, 9 * MS), 100, List.of(3 * MS), "bare_ip_link_del");
        assertEquals("{\"p50\":3.0,\"max\":9.0,\"floor_bare_ip_link_del_p50\":3.0,\"ratio_p50\":1.0}", out.toString());
    }

    @Test
    void aThroughputAgainstAFloorReportsMegabytesASecondTheShareOfTheFloorAndTheStreamsSize() {
        ObjectNode out = new ObjectMapper().createObjectNode();
        BenchFigures.putThroughput(out, "chain_appvm_firewall_netvm", 16, 8_000 * MS, "bare_veth", 20 * MS);
        assertEquals("{\"chain_appvm_firewall_netvm\":2.1,\"floor_bare_veth\":838.86,\"ratio\":0.0025,\"stream_mib\":16}", out.toString());
        ObjectNode close = new ObjectMapper().createObjectNode();
        BenchFigures.putThroughput(close, "chain", 1, 1_000 * MS, "bare_veth", 800 * MS);
        assertEquals(0.8, close.path("ratio").asDouble());
        assertEquals(1.05, close.path("chain").asDouble());
    }
}
