package com.warroom.routes.routetest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.warroom.routes.app.WarRoomApplication;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.kafka.RecordLimits;
import com.warroom.routes.ledger.WarRoomLedger;
import com.warroom.routes.support.TestKafka;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.AdviceWithRouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.spi.CamelBeanPostProcessor;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.component.kafka.KafkaClientFactory;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.main.MainSupport;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * Route tests: the shipped {@code routes/*.yaml} with {@code config/application.properties} in Camel
 * Main, with the beans {@code WarRoomBeans} binds (not {@code KafkaAtStart}: nothing talks to Kafka),
 * and every edge replaced:
 * <ul>
 * <li>the two Kafka consumers and the two timers start from {@code direct:} endpoints instead;</li>
 * <li>the Kafka writes {@code write-ledger}, {@code write-result} and {@code write-record} go to mock
 * endpoints, and the dead-letter producer is Kafka's {@link MockProducer};</li>
 * <li>the HTTP step {@code flashduty-http} is {@link FlashdutyStub};</li>
 * <li>the ledger is a topic view never loaded from Kafka, seeded by the test.</li>
 * </ul>
 * One Camel context per test class; each test uses incidents of its own and finds mocks, stub and
 * dead-letter producer reset, and Flashduty answering. No broker, no sandbox, no port.
 * <p>
 * The context is set up as camel-test-main-junit5's {@code @CamelMainTest} did (that module is not served
 * at Camel 4.22 here): Camel Main configures it from the properties, the beans and the routes, then the
 * test's doubles replace beans in the registry, the consumers' {@code from} is replaced and the edges
 * are advised, and only then does it start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RouteTestSupport {

    static final String APP_KEY_FILE = "target/route-tests/flashduty-app-key";
    static final int MAX_RECORD_BYTES = 65_536;
    static final String INCIDENT_TOPIC = "incidents";
    static final String DEAD_LETTER_TOPIC = "incidents-dlq";
    static final ObjectMapper MAPPER = TestKafka.MAPPER;
    static final KafkaClientSettings NO_KAFKA = new KafkaClientSettings(Map.of("bootstrap.servers", "localhost:1"));

    static {
        try {
            Files.createDirectories(Path.of(APP_KEY_FILE).getParent());
            Files.writeString(Path.of(APP_KEY_FILE), "route-test-app-key");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The dead-letter producer: every copy the routes set aside, acknowledged at once. */
    final MockProducer<byte[], byte[]> deadLetterProducer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());

    final DeadLetterPublisher deadLetterPublisher = deadLetterPublisher(deadLetterProducer);

    /** The ledger topic as read back at start: whatever a test puts into it. */
    final CompactedTopicView ledgerTopic = new CompactedTopicView(NO_KAFKA, "war-room-ledger", CompactedTopicView.Restart.logOnly());

    final WarRoomLedger warRoomLedger = new WarRoomLedger(ledgerTopic, MAPPER);

    final FlashdutyStub flashduty = new FlashdutyStub();

    @BeanInject
    CamelContext context;

    @EndpointInject("mock:ledger-topic")
    MockEndpoint ledgerWrites;

    @EndpointInject("mock:result-topic")
    MockEndpoint results;

    @EndpointInject("mock:records")
    MockEndpoint records;

    /** "ledger" and "result", in the order the routes wrote them */
    final List<String> writes = new CopyOnWriteArrayList<>();
    private final AtomicInteger offsets = new AtomicInteger();
    private ProducerTemplate template;

    /** Override settings on top of {@code config/application.properties}. */
    static final Map<String, String> PROPERTIES = properties(
            "flashduty.app-key-file=" + APP_KEY_FILE,
            // no budget-group member (it would need Kafka), no management server (no port)
            "flashduty.budget-sharing=false",
            "camel.management.enabled=false",
            // the budget is not what these tests are about: plenty, so no call waits for it
            "flashduty.rate-per-second=10000",
            "flashduty.rate-per-minute=100000",
            "flashduty.retry.max-attempts=3",
            "flashduty.retry.rate-limited-attempts=3",
            "flashduty.retry.initial-backoff=5ms",
            "flashduty.retry.max-backoff=20ms",
            "kafka.retry.initial-backoff=5ms",
            "kafka.retry.max-backoff=20ms",
            "kafka.max-record-bytes=" + MAX_RECORD_BYTES,
            // an empty IM list is believed on its second answer a refresh apart: here, at once
            "catalog.refresh=0ms");
    /** route id -> the endpoint it starts from instead of its Kafka consumer or timer */
    static final Map<String, String> REPLACE_FROM = Map.of(
            "incidents", "direct:incidents",
            "template-requests", "direct:template-requests",
            "im-catalog-refresh", "direct:im-catalog-refresh",
            "rocketchat-catalog-refresh", "direct:rocketchat-catalog-refresh",
            "template-sync", "direct:template-sync");

    private ModelCamelContext camel;

    /** Camel Main's set-up of a context, without running it (Main's {@code postProcessCamelContext}). */
    private static final class MainForTest extends MainSupport {
        @Override
        protected ProducerTemplate findOrCreateCamelTemplate() {
            throw new UnsupportedOperationException();
        }

        @Override
        protected CamelContext createCamelContext() {
            throw new UnsupportedOperationException();
        }

        void init(CamelContext camelContext) throws Exception {
            postProcessCamelContext(camelContext);
        }
    }

    @BeforeAll
    void startCamel() throws Exception {
        camel = new DefaultCamelContext();
        camel.getShutdownStrategy().setTimeout(10);
        MainForTest main = new MainForTest();
        main.configure().setJmxEnabled(false);
        properties().forEach(main::addOverrideProperty);
        main.setPropertyPlaceholderLocations("file:config/application.properties");
        configureMain(main.configure());
        main.init(camel);

        CamelBeanPostProcessor beans = PluginHelper.getBeanPostProcessor(camel.getCamelContextExtension());
        beans.postProcessBeforeInitialization(this, getClass().getName());
        beans.postProcessAfterInitialization(this, getClass().getName());
        camel.getRegistry().bind("deadLetterPublisher", DeadLetterPublisher.class, deadLetterPublisher);
        camel.getRegistry().bind("warRoomLedger", WarRoomLedger.class, warRoomLedger);
        camel.getRegistry().bind("flashdutyStub", FlashdutyStub.class, flashduty);

        for (Map.Entry<String, String> from : REPLACE_FROM.entrySet()) {
            if (camel.getRouteDefinition(from.getKey()) == null) {
                continue; // an optional route its settings leave out
            }
            AdviceWith.adviceWith(camel.getRouteDefinition(from.getKey()), camel, new AdviceWithRouteBuilder() {
                @Override
                public void configure() {
                    replaceFromWith(from.getValue());
                }
            });
        }
        advise("flashduty-call", new FlashdutyEdge(), beans);
        KafkaClientFactory kafka = kafkaClients();
        if (kafka == null) {
            advise("publish-result", new ResultEdges(), beans);
            advise("publish-records", new RecordEdge(), beans);
        } else {
            camel.getComponent("kafka", KafkaComponent.class).setKafkaClientFactory(kafka);
        }
        replaceMore(camel);
        camel.start();
    }

    /** The settings: {@link #PROPERTIES}, or a test class's own on top of them. */
    protected Map<String, String> properties() {
        return PROPERTIES;
    }

    /** A test class's own doubles and advice, after the common ones, before the context starts. */
    protected void replaceMore(ModelCamelContext camel) throws Exception {
    }

    /**
     * null (the default): the Kafka writes go to mock endpoints. A factory: they stay camel-kafka's own
     * producers, whose Kafka clients the factory makes (a test's {@link MockProducer}).
     */
    protected KafkaClientFactory kafkaClients() {
        return null;
    }

    private void advise(String routeId, AdviceWithRouteBuilder advice, CamelBeanPostProcessor beans) throws Exception {
        beans.postProcessBeforeInitialization(advice, advice.getClass().getName());
        beans.postProcessAfterInitialization(advice, advice.getClass().getName());
        AdviceWith.adviceWith(camel.getRouteDefinition(routeId), camel, advice);
    }

    @AfterAll
    void stopCamel() throws Exception {
        if (camel != null) {
            camel.close();
        }
    }

    /** The beans and routes, as the application configures them. */
    protected void configureMain(MainConfigurationProperties main) {
        WarRoomApplication.configure(main, Path.of("routes"));
    }

    static Map<String, String> properties(String... keyValues) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String kv : keyValues) {
            int eq = kv.indexOf('=');
            m.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return m;
    }

    @BeforeEach
    void resetEdges() {
        MockEndpoint.resetMocks(context);
        writes.clear();
        ledgerWrites.whenAnyExchangeReceived(e -> writes.add("ledger"));
        results.whenAnyExchangeReceived(e -> writes.add("result"));
        flashduty.reset();
        deadLetterProducer.clear();
        flashdutyAnswersAgain();
    }

    /**
     * FlashdutyResponses remembers an outage, a run of 429 and Unauthorized until a call succeeds:
     * one successful call leaves it as a start does, whatever the test before did.
     */
    private void flashdutyAnswersAgain() {
        Exchange ex = new DefaultExchange(context);
        ex.getMessage().setBody("{}");
        ex.setProperty(FlashdutyCallState.PATH, FlashdutyStub.LIST);
        Exchange ok = template().send("direct:flashduty-call", ex);
        if (!"success".equals(ok.getProperty(FlashdutyCallState.OUTCOME))) {
            throw new IllegalStateException("the stub's list call did not succeed: " + ok.getProperty(FlashdutyCallState.ERROR_CODE)
                    + " " + ok.getException());
        }
        flashduty.reset();
    }

    ProducerTemplate template() {
        // a test class with several test methods gets a new context for each: never keep the last one's template
        if (template == null || template.getCamelContext() != context) {
            template = context.createProducerTemplate();
        }
        return template;
    }

    private static DeadLetterPublisher deadLetterPublisher(MockProducer<byte[], byte[]> producer) {
        DeadLetterPublisher publisher = new DeadLetterPublisher(NO_KAFKA, DEAD_LETTER_TOPIC, 120_000);
        publisher.open(new RecordLimits("incidents", "template-requests", "incidents-dlq", MAX_RECORD_BYTES), producer);
        return publisher;
    }

    // ---- what a Kafka consumer would hand the route ---------------------------------------------

    /** A consumed record: value, key, the record's own headers, where it came from, and its offset commit. */
    record Consumed(String topic, byte[] key, byte[] value, Headers headers, int partition, long offset, long timestamp,
                    AtomicInteger commits) implements KafkaManualCommit {
        @Override
        public void commit() {
            commits.incrementAndGet();
        }

        boolean committed() {
            return commits.get() == 1;
        }
    }

    Consumed consumed(String topic, String key, byte[] value) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".getBytes(StandardCharsets.UTF_8));
        return new Consumed(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value, headers, 3,
                1000 + offsets.incrementAndGet(), System.currentTimeMillis(), new AtomicInteger());
    }

    /**
     * Hands the record to a consumer route's first step as camel-kafka does: the value as the body, the
     * record's metadata and its own headers as message headers. A record's header never steers anything:
     * one named like Camel's HTTP headers is among them.
     */
    Exchange send(String endpoint, Consumed record) {
        Exchange ex = new DefaultExchange(context);
        ex.getMessage().setBody(record.value());
        Map<String, Object> h = ex.getMessage().getHeaders();
        h.put(KafkaConstants.TOPIC, record.topic());
        h.put(KafkaConstants.PARTITION, record.partition());
        h.put(KafkaConstants.OFFSET, record.offset());
        h.put(KafkaConstants.TIMESTAMP, record.timestamp());
        if (record.key() != null) {
            h.put(KafkaConstants.KEY, record.key());
        }
        h.put(KafkaConstants.HEADERS, record.headers());
        h.put(KafkaConstants.MANUAL_COMMIT, record);
        h.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        h.put(Exchange.HTTP_URI, "http://attacker.example/steal");
        h.put(Exchange.HTTP_PATH, "/steal");
        return template().send(endpoint, ex);
    }

    static JsonNode json(Exchange recorded) {
        try {
            return MAPPER.readTree(recorded.getMessage().getBody(String.class));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How many times a histogram (a Micrometer timer: {@code war_room_*_seconds}) with these tags observed something. */
    long observed(String name, String... tags) {
        MeterRegistry registry = context.getRegistry().lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        io.micrometer.core.instrument.Timer t = registry.find(name).tags(tags).timer();
        return t == null ? 0 : t.count();
    }

    double counter(String name, String... tags) {
        MeterRegistry registry = context.getRegistry().lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    // ---- the edges ---------------------------------------------------------------------------------

    /** The HTTP call to Flashduty answers from the stub. */
    static final class FlashdutyEdge extends AdviceWithRouteBuilder {
        @BeanInject("flashdutyStub")
        FlashdutyStub stub;

        @Override
        public void configure() {
            weaveById("flashduty-http").replace().process(stub);
        }
    }

    /** The ledger and result writes go to mock endpoints. */
    static final class ResultEdges extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            weaveById("write-ledger").replace().to("mock:ledger-topic");
            weaveById("write-result").replace().to("mock:result-topic");
        }
    }

    /** Prepared records (template answers, catalog entries) go to a mock endpoint; outTopic stays on the exchange. */
    static final class RecordEdge extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            weaveById("write-record").replace().to("mock:records");
        }
    }
}
