package com.warroom.routes.demo;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.TopicCollector;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The host side of docker/smoke-test.sh, outside JUnit: the Flashduty sandbox, and a control port on
 * the loopback that the script asks with curl (it has no Kafka or Flashduty client of its own).
 * <pre>
 *   POST /incident      one fresh Critical i_new event to the topic "incidents"; answers its incident id
 *   GET  /result?id=ID  the status of the first result for it on "war-room-results" (404: none yet)
 *   GET  /creates?id=ID how many war-room creates the sandbox received for it
 *   POST /outage        the sandbox refuses every connection from now on (Flashduty unreachable)
 * </pre>
 * Arguments: BROKERS SANDBOX_PORT CONTROL_PORT; the sandbox's app key is SMOKE_APP_KEY. Runs until killed.
 */
public final class SmokeHarness {

    private SmokeHarness() {
    }

    public static void main(String[] args) throws Exception {
        String brokers = args[0];
        FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config().port(Integer.parseInt(args[1]))
                .appKey(System.getenv("SMOKE_APP_KEY")));
        KafkaProducer<byte[], byte[]> producer = KafkaTestClient.producer(brokers);
        TopicCollector results = new TopicCollector(brokers, List.of("war-room-results"));
        HttpServer control = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[2])), 0);
        control.createContext("/incident", http -> answer(http, () -> {
            ObjectNode event = Events.fresh();
            String id = Events.incidentId(event);
            producer.send(new ProducerRecord<>("incidents", id.getBytes(StandardCharsets.UTF_8),
                    Events.json(event).getBytes(StandardCharsets.UTF_8))).get();
            return id;
        }));
        control.createContext("/result", http -> answer(http, () -> results.json("war-room-results").stream()
                .filter(r -> id(http).equals(r.path("incident_id").asText())).findFirst().map(r -> r.path("status").asText()).orElse(null)));
        control.createContext("/creates", http -> answer(http, () -> String.valueOf(sandbox.createCount(id(http)))));
        control.createContext("/outage", http -> answer(http, () -> {
            sandbox.outage(true);
            return "outage";
        }));
        control.start();
        System.out.println("sandbox at " + sandbox.baseUrl() + ", control on 127.0.0.1:" + args[2]);
    }

    private interface Answer {
        String get() throws Exception;
    }

    private static String id(HttpExchange http) {
        String query = http.getRequestURI().getQuery();
        return query == null || !query.startsWith("id=") ? "" : query.substring(3);
    }

    /** 200 with the text, 404 when there is none, 500 with the failure's class. */
    private static void answer(HttpExchange http, Answer answer) throws IOException {
        String text;
        int status;
        try {
            text = answer.get();
            status = text == null ? 404 : 200;
        } catch (Exception e) {
            text = e.getClass().getSimpleName();
            status = 500;
        }
        byte[] body = (text == null ? "" : text + "\n").getBytes(StandardCharsets.UTF_8);
        http.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = http.getResponseBody()) {
            out.write(body);
        }
    }
}
