package com.warroom.routes.routetest;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.kafka.OutRecords;
import com.warroom.routes.routetest.FlashdutyStub.Answer;
import com.warroom.routes.support.Events;
import com.warroom.routes.templates.TemplateLookups;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static com.warroom.routes.routetest.FlashdutyStub.CREATE;
import static com.warroom.routes.routetest.FlashdutyStub.INFO;
import static com.warroom.routes.routetest.FlashdutyStub.TEMPLATES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The answers of routes/60-template-lookups.yaml on TEMPLATE_TOPIC: every request is answered (found,
 * not_found, invalid, failed), keyed by template_id, carrying the lookup_id back; a malformed request
 * is set aside before any call.
 */
class TemplateLookupRouteTest extends RouteTestSupport {

    static final String TEMPLATE_ID = "6605a1b2c3d4e5f6a7b8c9d0";
    static final String TEMPLATE_TOPIC = "templates";
    static final String REQUEST_TOPIC = "template-requests";

    @Test
    void aTemplateThatExistsIsFound() throws Exception {
        flashduty.script(INFO, Answer.ok(FlashdutyStub.template(TEMPLATE_ID)));

        JsonNode answer = theOneAnswer(request("{\"template_id\":\"" + TEMPLATE_ID + "\",\"lookup_id\":\"my-42\"}"), TEMPLATE_ID);

        assertEquals("found", answer.path("lookup_status").asText());
        assertEquals("enabled", answer.path("status").asText(), "the Template's own status is left as Flashduty sent it");
        assertEquals("{{.Title}}", answer.path("feishu").asText());
        assertEquals("my-42", answer.path("lookup_id").asText());
        assertTrue(answer.path("request_id").asText().startsWith("req-"));
        assertTrue(answer.hasNonNull("looked_up_at"));
        assertEquals(TEMPLATE_ID, MAPPER.readTree(flashduty.calls(INFO).get(0).body()).path("template_id").asText(),
                "POST /template/info {template_id}");
    }

    @Test
    void aTemplateThatDoesNotExistIsAnsweredNotFoundThenTombstoned() {
        flashduty.script(INFO, Answer.error(400, "ResourceNotFound", "template not found"));

        Consumed record = request("{\"template_id\":\"" + TEMPLATE_ID + "\",\"lookup_id\":\"my-43\"}");

        assertTrue(record.committed());
        List<Exchange> written = records.getReceivedExchanges();
        assertEquals(2, written.size(), "the answer, then its tombstone");
        written.forEach(e -> assertEquals(Map.of(KafkaConstants.KEY, TEMPLATE_ID), e.getMessage().getHeaders()));
        assertNull(written.get(1).getMessage().getBody(), "a tombstone: a compacted topic drops the key, so ids that do not exist never pile up");
        JsonNode answer = json(written.get(0));
        assertEquals("not_found", answer.path("lookup_status").asText());
        assertEquals("ResourceNotFound", answer.path("error_code").asText());
        assertEquals("template not found", answer.path("error_message").asText());
        assertEquals("my-43", answer.path("lookup_id").asText());
        assertEquals(1, flashduty.calls(INFO).size(), "ResourceNotFound is not retried");
    }

    @Test
    void anIdThatIsNot24HexIsAnsweredInvalidWithoutACall() {
        JsonNode answer = theOneAnswer(request("{\"template_id\":\"not-hex\",\"lookup_id\":\"my-44\"}"), TemplateLookups.INVALID_KEY);

        assertEquals("invalid", answer.path("lookup_status").asText());
        assertEquals("InvalidParameter", answer.path("error_code").asText());
        assertTrue(flashduty.calls().isEmpty(), "no budget spent");
    }

    @Test
    void answersThatAreNoTemplateAreNeverKeyedByWhatTheRequesterChose() {
        // a thousand random ids that are not 24 hex, lookups that fail, a list that fails, Flashduty's own InvalidParameter
        for (int i = 0; i < 1000; i++) {
            request("{\"template_id\":\"random-" + i + "\",\"lookup_id\":\"lookup-" + i + "\"}");
        }
        flashduty.script(INFO, Answer.error(403, "AccessDenied", "no"), Answer.error(400, "InvalidParameter", "bad id"));
        request("{\"template_id\":\"" + TEMPLATE_ID + "\",\"lookup_id\":\"lookup-denied\"}");
        request("{\"template_id\":\"6605a1b2c3d4e5f6a7b8c9ff\",\"lookup_id\":\"lookup-refused\"}");
        flashduty.script(TEMPLATES, Answer.error(403, "AccessDenied", "no"));
        request("{\"list\":{},\"lookup_id\":\"lookup-list\"}");

        assertEquals(1003, records.getReceivedCounter(), "every request answered");
        java.util.Set<String> keys = records.getReceivedExchanges().stream()
                .map(e -> e.getMessage().getHeader(KafkaConstants.KEY, String.class)).collect(java.util.stream.Collectors.toSet());
        assertEquals(2, keys.size(), "two keys for 1,003 answers: the compacted topic keeps one record of each");
        assertEquals(java.util.Set.of(TemplateLookups.INVALID_KEY, TemplateLookups.FAILED_KEY), keys);
        JsonNode last = json(records.getReceivedExchanges().get(1002));
        assertEquals("lookup-list", last.path("lookup_id").asText(), "the requester finds its answer by lookup_id");
        assertEquals("failed", last.path("lookup_status").asText());
        assertEquals("invalid", json(records.getReceivedExchanges().get(1001)).path("lookup_status").asText(),
                "Flashduty's InvalidParameter for a well-formed id");
        assertEquals("random-999", json(records.getReceivedExchanges().get(999)).path("template_id").asText(),
                "the value still names the id asked for");
    }

    @ParameterizedTest(name = "{0}: failed with error_code {0}")
    @CsvSource({"Unauthorized, 401, 1", "InternalError, 500, 3", "AccessDenied, 403, 1"})
    void aLookupThatFailedForGoodIsAnsweredFailed(String code, int status, int calls) {
        flashduty.script(INFO, Answer.error(status, code, "no luck"), Answer.error(status, code, "no luck"), Answer.error(status, code, "no luck"));

        JsonNode answer = theOneAnswer(request("{\"template_id\":\"" + TEMPLATE_ID + "\",\"lookup_id\":\"my-45\"}"),
                TemplateLookups.FAILED_KEY);

        assertEquals("failed", answer.path("lookup_status").asText());
        assertEquals(code, answer.path("error_code").asText());
        assertEquals(calls, flashduty.calls(INFO).size());
    }

    @Test
    void aListIsFetchedPageByPageAndEachTemplateAnswered() throws Exception {
        String second = "6605a1b2c3d4e5f6a7b8c9d1";
        flashduty.script(TEMPLATES,
                Answer.ok("{\"total\":2,\"has_next_page\":true,\"items\":[" + FlashdutyStub.template(TEMPLATE_ID) + "]}"),
                Answer.ok("{\"total\":2,\"has_next_page\":false,\"items\":[" + FlashdutyStub.template(second) + "]}"));

        Consumed record = request("{\"list\":{\"orderby\":\"updated_at\",\"asc\":false,\"team_ids\":[1,2],\"query\":\"prod\"},\"lookup_id\":\"my-46\"}");

        assertTrue(record.committed());
        assertEquals(List.of(TEMPLATE_ID, second), records.getReceivedExchanges().stream()
                .map(e -> e.getMessage().getHeader(KafkaConstants.KEY, String.class)).toList());
        List<FlashdutyStub.Call> pages = flashduty.calls(TEMPLATES);
        assertEquals(2, pages.size());
        JsonNode firstPage = MAPPER.readTree(pages.get(0).body());
        assertEquals(1, firstPage.path("p").asInt());
        assertEquals(100, firstPage.path("limit").asInt());
        assertEquals("prod", firstPage.path("query").asText());
        assertEquals(2, MAPPER.readTree(pages.get(1).body()).path("p").asInt());
        records.getReceivedExchanges().forEach(e -> assertEquals("my-46", json(e).path("lookup_id").asText()));
    }

    @Test
    void aMalformedRequestIsSetAsideBeforeAnyCall() {
        Consumed record = consumed(REQUEST_TOPIC, "r1", "{\"template_id\": ".getBytes(StandardCharsets.UTF_8));

        Exchange done = send("direct:template-requests", record);

        assertNull(done.getException());
        assertEquals(0, records.getReceivedCounter(), "no answer for a request that is not one");
        assertTrue(flashduty.calls().isEmpty());
        List<ProducerRecord<byte[], byte[]>> copies = deadLetterProducer.history();
        assertEquals(1, copies.size());
        assertArrayEquals(record.value(), copies.get(0).value());
        assertEquals("malformed_json", new String(copies.get(0).headers().lastHeader(DeadLetterPublisher.REASON).value(), StandardCharsets.UTF_8));
        assertEquals(REQUEST_TOPIC, new String(copies.get(0).headers().lastHeader(DeadLetterPublisher.SOURCE_TOPIC).value(), StandardCharsets.UTF_8));
        assertTrue(record.committed());
    }

    @Test
    void aRequestWithBothOrNeitherKindIsSetAside() {
        Consumed both = consumed(REQUEST_TOPIC, "r2", ("{\"template_id\":\"" + TEMPLATE_ID + "\",\"list\":{}}").getBytes(StandardCharsets.UTF_8));
        send("direct:template-requests", both);
        assertEquals("missing_field", new String(deadLetterProducer.history().get(0).headers().lastHeader(DeadLetterPublisher.REASON).value(),
                StandardCharsets.UTF_8));
        assertEquals(0, records.getReceivedCounter());
        assertTrue(both.committed());
    }

    Consumed request(String json) {
        Consumed record = consumed(REQUEST_TOPIC, null, json.getBytes(StandardCharsets.UTF_8));
        Exchange done = send("direct:template-requests", record);
        assertNull(done.getException());
        return record;
    }

    @Test
    void aPageThatSaysMoreFollowButHoldsNothingCutsTheListShortInsteadOfEndingIt() throws Exception {
        flashduty.script(TEMPLATES,
                Answer.ok("{\"total\":300,\"has_next_page\":true,\"items\":[" + FlashdutyStub.template(TEMPLATE_ID) + "]}"),
                Answer.ok("{\"total\":300,\"has_next_page\":true,\"items\":[]}"));

        Consumed record = request("{\"list\":{},\"lookup_id\":\"my-47\"}");

        assertTrue(record.committed());
        assertEquals(2, flashduty.calls(TEMPLATES).size(), "no third page after the empty one");
        List<JsonNode> answers = records.getReceivedExchanges().stream().map(RouteTestSupport::json).toList();
        assertEquals(2, answers.size(), "the template found, then the list's failure: " + answers);
        assertEquals("found", answers.get(0).path("lookup_status").asText());
        assertEquals("failed", answers.get(1).path("lookup_status").asText(), "the requester learns the list is not complete");
        assertEquals("invalid_list", answers.get(1).path("error_code").asText());
        assertEquals("my-47", answers.get(1).path("lookup_id").asText());
    }

    @Test
    void templateLookupsFailingForGoodLeaveWarRoomCreationItsFullRetries() {
        flashduty.script(FlashdutyStub.LIST, Answer.ok(FlashdutyStub.oneIntegration()));
        assertNull(template().send("direct:im-catalog-load", new DefaultExchange(context)).getException());
        // a template lookup runs out of retries on InternalError: Flashduty is taken as down for the others
        flashduty.script(INFO, Answer.error(500, "InternalError", "oops"), Answer.error(500, "InternalError", "oops"),
                Answer.error(500, "InternalError", "oops"), Answer.error(503, "ServiceUnavailable", "down"));
        request("{\"template_id\":\"" + TEMPLATE_ID + "\",\"lookup_id\":\"my-48\"}");
        request("{\"template_id\":\"" + TEMPLATE_ID + "\",\"lookup_id\":\"my-49\"}");
        assertEquals(4, flashduty.calls(INFO).size(), "three attempts, then one for the next lookup: the others' outage state is kept");
        assertEquals(List.of("failed", "failed"), records.getReceivedExchanges().stream()
                .map(e -> json(e).path("lookup_status").asText()).toList());
        flashduty.script(CREATE, Answer.error(500, "InternalError", "oops"), Answer.error(503, "ServiceUnavailable", "down"),
                Answer.ok(FlashdutyStub.chat("oc_after_templates")));
        ObjectNode event = Events.fresh();

        Exchange done = send("direct:incidents", consumed(INCIDENT_TOPIC, Events.incidentId(event),
                Events.json(event).getBytes(StandardCharsets.UTF_8)));

        assertNull(done.getException());
        assertEquals(3, flashduty.calls(CREATE).size(), "the create got its full retries, not one attempt");
        JsonNode result = json(results.getReceivedExchanges().get(0));
        assertEquals("created", result.path("status").asText(), result.toString());
        assertEquals("oc_after_templates", result.path("chat_id").asText());
    }

    /** The single answer on TEMPLATE_TOPIC, keyed by the template asked for, with no other header. */
    JsonNode theOneAnswer(Consumed record, String key) {
        assertTrue(record.committed(), "committed once answered");
        assertEquals(1, records.getReceivedCounter(), "one answer");
        Exchange answer = records.getReceivedExchanges().get(0);
        assertEquals(TEMPLATE_TOPIC, answer.getProperty("outTopic"));
        assertEquals(Map.of(KafkaConstants.KEY, key), answer.getMessage().getHeaders());
        assertEquals(1, answer.getProperty(OutRecords.PROPERTY, List.class).size());
        assertTrue(deadLetterProducer.history().isEmpty());
        return json(answer);
    }
}
