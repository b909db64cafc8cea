package com.warroom.routes.kafka;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;

/**
 * Records a bean has prepared for a Kafka topic, kept on the exchange as {@value #PROPERTY}: a list of
 * {@code {key, value}} maps (a null value is a tombstone). routes/70-publish-records.yaml writes them,
 * setting the record key and nothing else.
 */
public final class OutRecords {

    public static final String PROPERTY = "outRecords";

    private OutRecords() {
    }

    public static void add(Exchange exchange, String key, String value) {
        list(exchange).add(record(key, value));
    }

    @SuppressWarnings("unchecked")
    public static List<Map<String, String>> list(Exchange exchange) {
        List<Map<String, String>> l = exchange.getProperty(PROPERTY, List.class);
        if (l == null) {
            l = new ArrayList<>();
            exchange.setProperty(PROPERTY, l);
        }
        return l;
    }

    public static void clear(Exchange exchange) {
        exchange.removeProperty(PROPERTY);
    }

    static Map<String, String> record(String key, String value) {
        Map<String, String> r = new HashMap<>(2);
        r.put("key", key);
        r.put("value", value);
        return r;
    }
}
