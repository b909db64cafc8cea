package com.warroom.routes.observe;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmCompilationMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmHeapPressureMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import org.apache.camel.CamelContext;
import org.apache.camel.StaticService;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CamelMetricsService;
import org.apache.camel.spi.EventNotifier;
import org.apache.camel.support.SimpleEventNotifierSupport;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What camel-main starts for {@code camel.metrics.enabled=true} (found through
 * {@code META-INF/services/org/apache/camel/micrometer-prometheus}): the Prometheus registry bound as
 * {@code metricsRegistry} (the one {@code WarRoomBeans} and every counter of the module use), Camel's
 * default metrics in it, and {@code /observe/metrics} on the {@link ManagementServer} when
 * {@code camel.management.metrics-enabled}.
 * <p>
 * It stands in for camel-micrometer-prometheus, which is not served at 4.22 on the Maven Central this
 * project builds from (nor camel-micrometer, which held Camel's meters), and keeps what that module
 * published, by name, tags and format: {@code app_info}, {@code camel_routes_added_routes},
 * {@code camel_routes_running_routes} and {@code camel_routes_reloaded_routes} always (unless
 * {@code skip-camel-info}), and with {@code enable-route-policy} / {@code enable-exchange-event-notifier}
 * (CAMEL_ROUTE_METRICS=true) Camel's per-route and per-endpoint exchange counters and timers
 * ({@link CamelRouteMetrics}). The Prometheus text is Micrometer's own
 * ({@code text/plain; version=0.0.4}, or OpenMetrics when the scraper asks for it).
 * <p>
 * Settings ({@code camel.metrics.*}) as camel-micrometer-prometheus named them: enable-route-policy,
 * route-policy-level (all, route, context), enable-exchange-event-notifier,
 * base-endpoint-uri-exchange-event-notifier, enable-route-event-notifier, clear-on-reload,
 * skip-camel-info, text-format-version, path, binders (Micrometer's JVM and system binders by name).
 * The legacy naming strategy, message history and the instrumented thread pool are not available:
 * asking for one stops the start with one line naming it.
 */
public final class PrometheusMetrics extends ServiceSupport implements CamelMetricsService, StaticService {

    static final String METRICS_REGISTRY = "metricsRegistry";
    static final String CONTENT_TYPE_004 = "text/plain; version=0.0.4; charset=utf-8";
    static final String CONTENT_TYPE_100 = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    private static final Logger LOG = LoggerFactory.getLogger(PrometheusMetrics.class);

    private CamelContext camelContext;
    private PrometheusMeterRegistry registry;
    private final List<MeterBinder> binders = new ArrayList<>();
    private final List<EventNotifier> notifiers = new ArrayList<>();
    private CamelRouteMetrics routeMetrics;

    private boolean enableRoutePolicy = true;
    private String routePolicyLevel = "all";
    private boolean enableExchangeEventNotifier = true;
    private boolean baseEndpointUriExchangeEventNotifier = true;
    private boolean enableRouteEventNotifier = true;
    private boolean clearOnReload = true;
    private boolean skipCamelInfo;
    private String textFormatVersion = "0.0.4";
    private String path = "/observe/metrics";
    private String binderNames;

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    public void setEnableRoutePolicy(boolean enableRoutePolicy) {
        this.enableRoutePolicy = enableRoutePolicy;
    }

    public void setRoutePolicyLevel(String routePolicyLevel) {
        String level = routePolicyLevel.trim().toLowerCase(Locale.ROOT);
        if (!List.of("all", "route", "context").contains(level)) {
            throw new IllegalArgumentException("camel.metrics.route-policy-level: all, route or context");
        }
        this.routePolicyLevel = level;
    }

    public void setEnableExchangeEventNotifier(boolean enableExchangeEventNotifier) {
        this.enableExchangeEventNotifier = enableExchangeEventNotifier;
    }

    public void setBaseEndpointURIExchangeEventNotifier(boolean baseEndpointUri) {
        this.baseEndpointUriExchangeEventNotifier = baseEndpointUri;
    }

    public void setEnableRouteEventNotifier(boolean enableRouteEventNotifier) {
        this.enableRouteEventNotifier = enableRouteEventNotifier;
    }

    public void setClearOnReload(boolean clearOnReload) {
        this.clearOnReload = clearOnReload;
    }

    public void setSkipCamelInfo(boolean skipCamelInfo) {
        this.skipCamelInfo = skipCamelInfo;
    }

    public void setTextFormatVersion(String textFormatVersion) {
        if (!"0.0.4".equals(textFormatVersion) && !"1.0.0".equals(textFormatVersion)) {
            throw new IllegalArgumentException("camel.metrics.text-format-version: 0.0.4 or 1.0.0");
        }
        this.textFormatVersion = textFormatVersion;
    }

    public void setPath(String path) {
        this.path = path;
    }

    public void setBinders(String binders) {
        this.binderNames = binders;
    }

    public void setNamingStrategy(String namingStrategy) {
        if (!"default".equalsIgnoreCase(namingStrategy.trim())) {
            throw new IllegalArgumentException("camel.metrics.naming-strategy: only default is available (camel-micrometer is not part of this module)");
        }
    }

    public void setEnableMessageHistory(boolean enableMessageHistory) {
        if (enableMessageHistory) {
            throw new IllegalArgumentException("camel.metrics.enable-message-history: not available (camel-micrometer is not part of this module)");
        }
    }

    public void setEnableInstrumentedThreadPoolFactory(boolean enable) {
        if (enable) {
            throw new IllegalArgumentException(
                    "camel.metrics.enable-instrumented-thread-pool-factory: not available (camel-micrometer is not part of this module)");
        }
    }

    /** The registry every meter of the process is in (null before the service is initialised). */
    public PrometheusMeterRegistry getMeterRegistry() {
        return registry;
    }

    @Override
    protected void doInit() throws Exception {
        MeterRegistry found = camelContext.getRegistry().lookupByNameAndType(METRICS_REGISTRY, MeterRegistry.class);
        if (found == null) {
            found = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            camelContext.getRegistry().bind(METRICS_REGISTRY, MeterRegistry.class, found);
        }
        if (!(found instanceof PrometheusMeterRegistry prometheus)) {
            throw new IllegalArgumentException("the bean " + METRICS_REGISTRY + " is a " + found.getClass().getName()
                    + ", not a PrometheusMeterRegistry");
        }
        registry = prometheus;
        bindBinders();
        if (!skipCamelInfo && registry.find("app.info").gauge() == null) {
            registry.gaugeCollectionSize("app.info", Tags.of("camel.version", camelContext.getVersion(), "camel.context",
                    camelContext.getName(), "camel.runtime.provider", "Main", "camel.runtime.version", camelContext.getVersion()),
                    new ArrayList<String>());
        }
        if (enableRoutePolicy || enableExchangeEventNotifier) {
            routeMetrics = new CamelRouteMetrics(camelContext, registry, baseEndpointUriExchangeEventNotifier);
            if (enableRoutePolicy) {
                routeMetrics.addRoutePolicy(!"route".equals(routePolicyLevel), !"context".equals(routePolicyLevel));
            }
            if (enableExchangeEventNotifier) {
                notifiers.add(routeMetrics.exchangeEventNotifier());
            }
        }
        if (enableRouteEventNotifier) {
            notifiers.add(routeGauges());
        }
        if (clearOnReload) {
            notifiers.add(clearOnReload());
        }
        notifiers.forEach(camelContext.getManagementStrategy()::addEventNotifier);
    }

    /**
     * A notifier of route events only. While every notifier ignores exchange events, Camel skips
     * exchange event notification altogether (EventHelper.eventsApplicable); one that did not made it
     * look for listeners at each step of every exchange (2-3% of the consumer thread in the replay).
     */
    private static EventNotifier routeEvents(java.util.function.Consumer<CamelEvent> onEvent) {
        SimpleEventNotifierSupport notifier = new SimpleEventNotifierSupport() {
            @Override
            public boolean isEnabled(CamelEvent event) {
                return event instanceof CamelEvent.RouteEvent;
            }

            @Override
            public void notify(CamelEvent event) {
                onEvent.accept(event);
            }
        };
        notifier.setIgnoreExchangeEvents(true);
        notifier.setIgnoreCamelContextEvents(true);
        notifier.setIgnoreServiceEvents(true);
        notifier.setIgnoreStepEvents(true);
        return notifier;
    }

    @Override
    protected void doStart() throws Exception {
        ManagementServer server = camelContext.hasService(ManagementServer.class);
        Router router = server != null && server.isMetricsEnabled() ? server.getRouter() : null;
        if (router != null) {
            scrapeOn(router);
            LOG.info("Prometheus metrics on management port {} at {}", server.getPort(), path);
        } else {
            LOG.info("Prometheus metrics not served (camel.management.metrics-enabled is off)");
        }
    }

    @Override
    protected void doShutdown() throws Exception {
        notifiers.forEach(camelContext.getManagementStrategy()::removeEventNotifier);
        notifiers.clear();
        for (MeterBinder b : binders) {
            if (b instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.debug("closing {}: {}", b.getClass().getSimpleName(), e.toString());
                }
            }
        }
        binders.clear();
    }

    private void scrapeOn(Router router) {
        String format = "0.0.4".equals(textFormatVersion) ? CONTENT_TYPE_004 : CONTENT_TYPE_100;
        Route metrics = router.route(path).method(HttpMethod.GET).produces(format);
        metrics.blockingHandler(ctx -> {
            String accept = ctx.request().getHeader("Accept");
            String type = accept != null && accept.contains("application/openmetrics-text") ? CONTENT_TYPE_100 : format;
            ctx.response().putHeader("Content-Type", type);
            ctx.end(registry.scrape(type));
        }, true);
    }

    private void bindBinders() {
        if (binderNames == null || binderNames.isBlank()) {
            return;
        }
        for (String name : binderNames.split(",")) {
            MeterBinder b = switch (name.trim()) {
                case "class-loader" -> new ClassLoaderMetrics();
                case "jvm-compilation" -> new JvmCompilationMetrics();
                case "jvm-gc" -> new JvmGcMetrics();
                case "jvm-heap-pressure" -> new JvmHeapPressureMetrics();
                case "jvm-info" -> new JvmInfoMetrics();
                case "jvm-memory" -> new JvmMemoryMetrics();
                case "jvm-thread" -> new JvmThreadMetrics();
                case "file-descriptor" -> new FileDescriptorMetrics();
                case "processor" -> new ProcessorMetrics();
                case "uptime" -> new UptimeMetrics();
                case "" -> null;
                default -> throw new IllegalArgumentException("camel.metrics.binders: " + name.trim() + " is not one of class-loader, "
                        + "jvm-compilation, jvm-gc, jvm-heap-pressure, jvm-info, jvm-memory, jvm-thread, file-descriptor, processor, uptime");
            };
            if (b != null) {
                b.bindTo(registry);
                binders.add(b);
            }
        }
    }

    /** camel_routes_added / _running / _reloaded, as camel-micrometer's route event notifier counted them. */
    private EventNotifier routeGauges() {
        AtomicLong added = new AtomicLong();
        AtomicLong running = new AtomicLong();
        AtomicLong reloaded = new AtomicLong();
        Tags tags = Tags.of("kind", "CamelRoute", "camelContext", camelContext.getName(), "eventType", "RouteEvent");
        Gauge.builder("camel.routes.added", added, AtomicLong::get).baseUnit("routes").tags(tags).register(registry);
        Gauge.builder("camel.routes.running", running, AtomicLong::get).baseUnit("routes").tags(tags).register(registry);
        Gauge.builder("camel.routes.reloaded", reloaded, AtomicLong::get).baseUnit("routes").tags(tags).register(registry);
        return routeEvents(event -> {
            if (event instanceof CamelEvent.RouteAddedEvent) {
                added.incrementAndGet();
            } else if (event instanceof CamelEvent.RouteRemovedEvent) {
                added.decrementAndGet();
            } else if (event instanceof CamelEvent.RouteStartedEvent) {
                running.incrementAndGet();
            } else if (event instanceof CamelEvent.RouteStoppedEvent) {
                running.decrementAndGet();
            } else if (event instanceof CamelEvent.RouteReloadedEvent) {
                reloaded.incrementAndGet();
            }
        });
    }

    /** After a route reload, Camel's per-route meters go (the module's own counters stay), as camel-micrometer-prometheus did. */
    private EventNotifier clearOnReload() {
        return routeEvents(event -> {
            if (!(event instanceof CamelEvent.RouteReloadedEvent re) || re.getIndex() < re.getTotal()) {
                return;
            }
            List<Meter> remove = new ArrayList<>();
            for (Meter m : registry.getMeters()) {
                String n = m.getId().getName();
                if (n.startsWith("camel.") && !n.startsWith("camel.exchanges.") && m.getId().getTag("routeId") != null) {
                    remove.add(m);
                }
            }
            remove.forEach(registry::remove);
        });
    }
}
