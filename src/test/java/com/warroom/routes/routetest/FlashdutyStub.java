package com.warroom.routes.routetest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.warroom.routes.support.FlashdutyEnvelope;
import com.warroom.routes.support.TestKafka;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

/**
 * Stands in for the HTTP step {@code flashduty-http} of routes/40-flashduty-call.yaml: records each
 * request (path, body, headers) and answers with Flashduty's envelopes as /work/shared/api/CONTRACT.md
 * gives them, from a script per path, else the path's default answer; or throws a transport failure,
 * as the HTTP component would.
 */
public final class FlashdutyStub implements Processor {

    public static final String LIST = "/datasource/im/war-room-enabled/list";
    public static final String CREATE = "/incident/war-room/create";
    public static final String INFO = "/template/info";
    public static final String TEMPLATES = "/template/list";

    /** the war-room-enabled integration of the default list answer */
    public static final long INTEGRATION_ID = 362;
    public static final String CHAT_ID = "oc_4a5b6c";

    /** One request as the HTTP endpoint would have sent it. */
    public record Call(String path, String body, Map<String, Object> headers) {
    }

    /** One answer: HTTP status, body and headers, or a failure thrown instead. */
    public record Answer(int status, String body, Map<String, String> headers, Exception failure) {

        /** 2xx: {@code {"request_id", "data"}}. */
        public static Answer ok(String dataJson) {
            return envelope(200, FlashdutyEnvelope.ok(nextRequestId(), TestKafka.json(dataJson)));
        }

        /** Failure: {@code {"request_id", "error": {"code", "message"}}}, with the status Flashduty gives that code. */
        public static Answer error(int status, String code, String message) {
            return envelope(status, FlashdutyEnvelope.error(nextRequestId(), code, message));
        }

        private static Answer envelope(int status, Map<String, Object> envelope) {
            return new Answer(status, TestKafka.toJson(envelope), Map.of(), null);
        }

        /** An answer without Flashduty's envelope (a gateway's or proxy's page). */
        public static Answer page(int status, String body) {
            return new Answer(status, body, Map.of(), null);
        }

        /** No answer at all: the HTTP component throws this. */
        public static Answer fails(Exception e) {
            return new Answer(0, null, Map.of(), e);
        }

        public Answer withHeader(String name, String value) {
            Map<String, String> h = new TreeMap<>(headers);
            h.put(name, value);
            return new Answer(status, body, h, failure);
        }
    }

    private static final AtomicInteger REQUEST_IDS = new AtomicInteger();

    private final Map<String, Deque<Answer>> scripts = new ConcurrentHashMap<>();
    private final Map<String, Answer> defaults = new ConcurrentHashMap<>();
    private final List<Call> calls = new CopyOnWriteArrayList<>();

    public FlashdutyStub() {
        reset();
    }

    static String nextRequestId() {
        return "req-" + REQUEST_IDS.incrementAndGet();
    }

    /** The list with one war-room-enabled Feishu integration (its integration_key must never leave the process). */
    public static String oneIntegration() {
        return "{\"items\":[{\"data_source_id\":" + INTEGRATION_ID + ",\"integration_id\":" + INTEGRATION_ID
                + ",\"name\":\"Feishu war rooms\",\"status\":\"enabled\",\"plugin_type\":\"feishu\","
                + "\"integration_key\":\"secret-integration-key\",\"settings\":{\"war_room_enabled\":true}}]}";
    }

    public static String noIntegration() {
        return "{\"items\":[]}";
    }

    public static String chat(String chatId) {
        return "{\"chat_id\":\"" + chatId + "\",\"chat_name\":\"[P1] ysy028\",\"share_link\":\"https://applink.feishu.cn/client/chat/" + chatId + "\"}";
    }

    public static String template(String templateId) {
        return "{\"account_id\":74058170041504,\"team_id\":0,\"template_id\":\"" + templateId + "\",\"template_name\":\"default\","
                + "\"description\":\"\",\"email\":\"\",\"sms\":\"\",\"feishu\":\"{{.Title}}\",\"status\":\"enabled\","
                + "\"creator_id\":1552048792504,\"created_at\":1689335086,\"updated_at\":1689335086}";
    }

    /** Every answer scripted and every call recorded is forgotten; the defaults answer success. */
    public void reset() {
        scripts.clear();
        calls.clear();
        defaults.put(LIST, Answer.ok(oneIntegration()));
        defaults.put(CREATE, Answer.ok(chat(CHAT_ID)));
        defaults.put(INFO, Answer.error(400, "ResourceNotFound", "template not found"));
        defaults.put(TEMPLATES, Answer.ok("{\"total\":0,\"has_next_page\":false,\"items\":[]}"));
    }

    /** The next calls to {@code path} get these answers, in order; then the default again. */
    public FlashdutyStub script(String path, Answer... answers) {
        scripts.computeIfAbsent(path, p -> new ArrayDeque<>()).addAll(List.of(answers));
        return this;
    }

    public List<Call> calls() {
        return List.copyOf(calls);
    }

    public List<Call> calls(String path) {
        return calls.stream().filter(c -> path.equals(c.path())).toList();
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Message m = exchange.getMessage();
        String path = m.getHeader(Exchange.HTTP_PATH, String.class);
        calls.add(new Call(path, m.getBody(String.class), Map.copyOf(m.getHeaders())));
        Deque<Answer> script = scripts.get(path);
        Answer answer = script == null ? null : script.poll();
        if (answer == null) {
            answer = defaults.get(path);
        }
        if (answer == null) {
            answer = Answer.error(404, "RouteNotFound", "no such path");
        }
        if (answer.failure() != null) {
            throw answer.failure();
        }
        m.getHeaders().clear();
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, answer.status());
        answer.headers().forEach(m::setHeader);
        m.setBody(answer.body().getBytes(StandardCharsets.UTF_8));
    }
}
