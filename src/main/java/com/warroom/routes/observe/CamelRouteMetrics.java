package com.warroom.routes.observe;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Route;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.spi.EventNotifier;
import org.apache.camel.support.EventNotifierSupport;
import org.apache.camel.support.ExchangeHelper;
import org.apache.camel.support.RoutePolicySupport;
import org.apache.camel.util.StringHelper;

/**
 * Camel's own per-route and per-endpoint exchange meters, only with CAMEL_ROUTE_METRICS=true
 * ({@code camel.metrics.enable-route-policy}, {@code enable-exchange-event-notifier}), under the names
 * and tags camel-micrometer 4.18 gave them (that module is not served at 4.22 here):
 * <ul>
 * <li>route policy, per route (tags camelContext, kind=CamelRoute, routeId, eventType=route) and for the
 * whole context (routeId="", eventType=context): the timer {@code camel.route.policy} and the counters
 * {@code camel.exchanges.total}, {@code .succeeded}, {@code .failed}, {@code .failures.handled},
 * {@code .external.redeliveries};</li>
 * <li>exchange event notifier: the timer {@code camel.exchange.event.notifier} per endpoint sent to and per
 * route's completed exchanges (tags camelContext, kind=CamelExchangeEvent, eventType, routeId,
 * endpointName, failed), the gauge {@code camel.exchanges.inflight} per route and
 * {@code camel.exchanges.last.timestamp}.</li>
 * </ul>
 */
final class CamelRouteMetrics {

    private static final String ROUTE_POLICY = "camel.route.policy";
    private static final String EXCHANGE_EVENT = "camel.exchange.event.notifier";

    private final CamelContext context;
    private final MeterRegistry registry;
    private final boolean baseEndpointUri;
    private final AtomicLong lastExchange = new AtomicLong();

    CamelRouteMetrics(CamelContext context, MeterRegistry registry, boolean baseEndpointUri) {
        this.context = context;
        this.registry = registry;
        this.baseEndpointUri = baseEndpointUri;
    }

    // ---- route policy ------------------------------------------------------------------------------

    void addRoutePolicy(boolean contextLevel, boolean routeLevel) {
        Statistics contextStats = contextLevel
                ? new Statistics(Tags.of("camelContext", context.getName(), "kind", "CamelRoute", "routeId", "", "eventType", "context"),
                        "context:" + context.getName(), "CamelContext performance metrics")
                : null;
        context.addRoutePolicyFactory(new RoutePolicyFactory() {
            @Override
            public RoutePolicy createRoutePolicy(CamelContext camelContext, String routeId, NamedNode route) {
                return new Policy(contextStats, routeLevel);
            }
        });
    }

    private final class Policy extends RoutePolicySupport {
        private final Statistics contextStats;
        private final boolean routeLevel;
        private volatile Statistics routeStats;

        Policy(Statistics contextStats, boolean routeLevel) {
            this.contextStats = contextStats;
            this.routeLevel = routeLevel;
        }

        @Override
        public void onStart(Route route) {
            if (routeLevel && routeStats == null) {
                routeStats = new Statistics(Tags.of("camelContext", context.getName(), "kind", "CamelRoute", "routeId", route.getId(),
                        "eventType", "route"), route.getId(), "Route performance metrics");
            }
        }

        @Override
        public void onRemove(Route route) {
            Statistics s = routeStats;
            routeStats = null;
            if (s != null) {
                s.remove();
            }
        }

        @Override
        public void onExchangeBegin(Route route, Exchange exchange) {
            if (contextStats != null) {
                contextStats.begin(exchange);
            }
            Statistics s = routeStats;
            if (s != null) {
                s.begin(exchange);
            }
        }

        @Override
        public void onExchangeDone(Route route, Exchange exchange) {
            if (contextStats != null) {
                contextStats.done(exchange);
            }
            Statistics s = routeStats;
            if (s != null) {
                s.done(exchange);
            }
        }
    }

    private final class Statistics {
        private final String property;
        private final Timer timer;
        private final Counter total;
        private final Counter succeeded;
        private final Counter failed;
        private final Counter failuresHandled;
        private final Counter externalRedeliveries;

        Statistics(Tags tags, String id, String description) {
            this.property = ROUTE_POLICY + "-" + id + "-";
            this.timer = Timer.builder(ROUTE_POLICY).tags(tags).description(description).register(registry);
            this.succeeded = Counter.builder("camel.exchanges.succeeded").tags(tags).description("Number of successfully completed exchanges")
                    .register(registry);
            this.failed = Counter.builder("camel.exchanges.failed").tags(tags).description("Number of failed exchanges").register(registry);
            this.total = Counter.builder("camel.exchanges.total").tags(tags).description("Total number of processed exchanges")
                    .register(registry);
            this.externalRedeliveries = Counter.builder("camel.exchanges.external.redeliveries").tags(tags)
                    .description("Number of external initiated redeliveries (such as from JMS broker)").register(registry);
            this.failuresHandled = Counter.builder("camel.exchanges.failures.handled").tags(tags).description("Number of failures handled")
                    .register(registry);
        }

        void begin(Exchange exchange) {
            exchange.setProperty(property + exchange.getExchangeId(), Timer.start(registry));
        }

        void done(Exchange exchange) {
            Timer.Sample sample = (Timer.Sample) exchange.removeProperty(property + exchange.getExchangeId());
            if (sample != null) {
                sample.stop(timer);
            }
            total.increment();
            if (exchange.isFailed()) {
                failed.increment();
            } else {
                succeeded.increment();
                if (ExchangeHelper.isFailureHandled(exchange)) {
                    failuresHandled.increment();
                }
                if (exchange.isExternalRedelivered()) {
                    externalRedeliveries.increment();
                }
            }
        }

        void remove() {
            for (Meter m : new Meter[] {timer, total, succeeded, failed, failuresHandled, externalRedeliveries}) {
                registry.remove(m);
            }
        }
    }

    // ---- exchange event notifier -------------------------------------------------------------------

    EventNotifier exchangeEventNotifier() {
        Map<String, Meter> inflight = new ConcurrentHashMap<>();
        return new EventNotifierSupport() {
            @Override
            public boolean isEnabled(CamelEvent event) {
                return event instanceof CamelEvent.ExchangeEvent || event instanceof CamelEvent.RouteAddedEvent
                        || event instanceof CamelEvent.RouteRemovedEvent || event instanceof CamelEvent.CamelContextStartedEvent;
            }

            @Override
            public void notify(CamelEvent event) {
                if (event instanceof CamelEvent.CamelContextStartedEvent) {
                    context.getRoutes().forEach(r -> addInflight(inflight, r.getRouteId()));
                } else if (event instanceof CamelEvent.RouteAddedEvent e) {
                    addInflight(inflight, e.getRoute().getRouteId());
                } else if (event instanceof CamelEvent.RouteRemovedEvent e) {
                    Meter m = inflight.remove(e.getRoute().getRouteId());
                    if (m != null) {
                        registry.remove(m);
                    }
                } else if (event instanceof CamelEvent.ExchangeCreatedEvent e) {
                    e.getExchange().setProperty("eventTimer:" + EXCHANGE_EVENT, Timer.start(registry));
                } else if (event instanceof CamelEvent.ExchangeSentEvent e) {
                    Timer.builder(EXCHANGE_EVENT).tags(tags(e, e.getEndpoint())).description("Time taken to send message to the endpoint")
                            .register(registry).record(e.getTimeTaken(), TimeUnit.MILLISECONDS);
                } else if (event instanceof CamelEvent.ExchangeCompletedEvent || event instanceof CamelEvent.ExchangeFailedEvent) {
                    CamelEvent.ExchangeEvent e = (CamelEvent.ExchangeEvent) event;
                    Timer.Sample sample = (Timer.Sample) e.getExchange().removeProperty("eventTimer:" + EXCHANGE_EVENT);
                    if (sample != null) {
                        sample.stop(registry.timer(EXCHANGE_EVENT, tags(e, e.getExchange().getFromEndpoint())));
                    }
                    if (registry.find("camel.exchanges.last.timestamp").gauge() == null) {
                        Gauge.builder("camel.exchanges.last.timestamp", lastExchange, AtomicLong::get)
                                .description("Last exchange processed time in milliseconds since the Unix epoch").register(registry);
                    }
                    lastExchange.set(System.currentTimeMillis());
                }
            }
        };
    }

    private void addInflight(Map<String, Meter> inflight, String routeId) {
        inflight.computeIfAbsent(routeId, id -> Gauge.builder("camel.exchanges.inflight", () -> context.getInflightRepository().size(id))
                .description("Route inflight messages").tags("camelContext", context.getName(), "kind", "CamelExchangeEvent", "routeId", id)
                .register(registry));
    }

    private Tags tags(CamelEvent.ExchangeEvent event, Endpoint endpoint) {
        String uri = "";
        if (endpoint != null) {
            uri = endpoint.toString();
            if (baseEndpointUri) {
                uri = StringHelper.before(uri, "?", uri);
            }
        }
        Tags tags = Tags.of("camelContext", event.getExchange().getContext().getName(), "kind", "CamelExchangeEvent",
                "eventType", event.getClass().getSimpleName());
        String routeId = event.getExchange().getFromRouteId();
        if (routeId != null) {
            tags = tags.and("routeId", routeId);
        }
        return tags.and("endpointName", uri, "failed", Boolean.toString(event.getExchange().isFailed()));
    }
}
