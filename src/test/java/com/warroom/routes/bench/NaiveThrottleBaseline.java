package com.warroom.routes.bench;

import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.warroom.routes.http.ClientAuth;
import com.warroom.routes.security.Secret;
import com.warroom.routes.support.TestKafka;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The budget benchmark's baseline, never shipped: what one would write first with Camel alone.
 * Incident events from a Kafka topic, one at a time, through two chained Throttle EIPs
 * (50 per 1,000 ms, then 1,000 per 60,000 ms, total-requests mode) to war-room/create on the same
 * sandbox. A call answered 429 is counted and sent round again, through both throttles, until it is
 * accepted (so the backlog drains and the drain time is comparable with ours).
 */
final class NaiveThrottleBaseline implements AutoCloseable {

    private final CamelContext camel = new DefaultCamelContext();
    private final AtomicInteger tooFrequent = new AtomicInteger();
    private final AtomicInteger created = new AtomicInteger();
    private final ObjectMapper mapper = TestKafka.MAPPER;

    NaiveThrottleBaseline(String brokers, String incidentTopic, String sandboxUrl, String appKey) throws Exception {
        camel.getRegistry().bind("sandboxAuth", ClientAuth.flashduty(Secret.of("FLASHDUTY_APP_KEY", appKey), com.warroom.routes.http.BoundedAnswers.capped("FLASHDUTY_MAX_ANSWER_BYTES", 8 << 20)
                .withDeadline("FLASHDUTY_CALL_TIMEOUT_MS", com.warroom.routes.flashduty.CallDeadline::millisLeft)));
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("kafka:" + incidentTopic + "?brokers=" + brokers + "&groupId=naive-throttle&autoOffsetReset=earliest"
                        + "&maxPollRecords=20&pollTimeoutMs=200")
                        .routeId("naive-throttle")
                        .process(NaiveThrottleBaseline.this::createRequest)
                        .loopDoWhile(exchangeProperty("again"))
                            .throttle(50).totalRequestsMode().timePeriodMillis(1000)
                            .throttle(1000).totalRequestsMode().timePeriodMillis(60_000)
                            .removeHeaders("*")
                            .setHeader(Exchange.CONTENT_TYPE, constant("application/json"))
                            .setHeader(Exchange.HTTP_METHOD, constant("POST"))
                            .setBody(exchangeProperty("request"))
                            .to(sandboxUrl + "/incident/war-room/create?httpClientConfigurer=#sandboxAuth&throwExceptionOnFailure=false")
                            .process(NaiveThrottleBaseline.this::count)
                        .end();
            }
        });
        camel.start();
    }

    private void createRequest(Exchange exchange) throws Exception {
        JsonNode event = mapper.readTree(exchange.getMessage().getBody(byte[].class));
        String incidentId = event.path("incident").path("incident_id").asText();
        exchange.setProperty("request", "{\"incident_id\":\"" + incidentId + "\",\"integration_id\":362}");
        exchange.setProperty("again", true);
    }

    private void count(Exchange exchange) {
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        if (status == 429) {
            tooFrequent.incrementAndGet();
        } else {
            exchange.setProperty("again", false);
            if (status == 200) {
                created.incrementAndGet();
            }
        }
    }

    int tooFrequent() {
        return tooFrequent.get();
    }

    int created() {
        return created.get();
    }

    @Override
    public void close() throws Exception {
        camel.close();
    }
}
