package com.warroom.routes.incident;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.warroom.routes.kafka.IncomingRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The module relies on the incident topic being keyed by {@code incident_id}: then every event of an
 * incident is on one partition, handled by one consumer at a time. A record keyed otherwise (or not
 * at all) may put two events of one incident on partitions of two replicas, which can both miss the
 * ledger and both open a room. Such records are still handled; they are counted
 * ({@code war_room_incident_records_not_keyed_by_incident_total}) and the first one of each partition is
 * logged, so the producer of the topic can be fixed.
 */
public final class IncidentKeyCheck {

    private static final Logger LOG = LoggerFactory.getLogger(IncidentKeyCheck.class);

    private final Counter notKeyed;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    public IncidentKeyCheck(MeterRegistry registry) {
        this.notKeyed = Counter.builder("war.room.incident.records.not.keyed.by.incident")
                .description("incident records whose Kafka key is not their incident_id").register(registry);
    }

    /** The key's bytes are the (lower-case, ASCII) incident_id in any case; without decoding the key. */
    static boolean isKey(byte[] key, String incidentId) {
        if (key.length != incidentId.length()) {
            return false;
        }
        int i = 0;
        while (i < key.length && Character.toLowerCase(key[i]) == incidentId.charAt(i)) {
            i++;
        }
        return i == key.length;
    }

    /** Route step {@code check-record-key}, after the event is parsed. */
    public void check(Exchange exchange) {
        String incidentId = exchange.getProperty(IncidentEventParser.INCIDENT_ID, String.class);
        byte[] key = exchange.getProperty(IncomingRecord.KEY, byte[].class);
        if (key != null && isKey(key, incidentId)) {
            return;
        }
        notKeyed.increment();
        String partition = exchange.getProperty(IncomingRecord.TOPIC) + "/" + exchange.getProperty(IncomingRecord.PARTITION);
        if (warned.add(partition)) {
            LOG.warn("{}@{}: the record is keyed {} instead of by its incident_id {}: events of one incident may then reach two "
                            + "replicas at once, which can both open a room; key the topic by incident_id (said once per partition)",
                    partition, exchange.getProperty(IncomingRecord.OFFSET), key == null ? "not at all" : "otherwise", incidentId);
        }
    }
}
