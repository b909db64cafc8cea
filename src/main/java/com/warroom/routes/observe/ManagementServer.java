package com.warroom.routes.observe;

import io.vertx.ext.web.Router;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.main.HttpManagementServerConfigurationProperties;

/**
 * The management server of {@code camel.management.*} (MANAGEMENT_HOST:MANAGEMENT_PORT): camel-platform-http-vertx's
 * server on its own host and port, on which {@link HealthPage} serves {@code /observe/health} (and {@code /live},
 * {@code /ready}) and {@link PrometheusMetrics} serves {@code /observe/metrics}. Nothing else: any other path answers 404.
 * It is what camel-platform-http-main (not served at 4.22 here) made, without Camel's other pages
 * ({@link ManagementServerFactory}).
 */
public final class ManagementServer extends VertxPlatformHttpServer {

    private final HttpManagementServerConfigurationProperties settings;

    ManagementServer(CamelContext camelContext, HttpManagementServerConfigurationProperties c) {
        super(configuration(c));
        setCamelContext(camelContext);
        this.settings = c;
    }

    private static VertxPlatformHttpServerConfiguration configuration(HttpManagementServerConfigurationProperties c) {
        VertxPlatformHttpServerConfiguration configuration = new VertxPlatformHttpServerConfiguration();
        configuration.setBindHost(c.getHost());
        configuration.setBindPort(c.getPort());
        configuration.setPath(c.getPath());
        configuration.setUseGlobalSslContextParameters(c.isUseGlobalSslContextParameters());
        configuration.setServerType(VertxPlatformHttpRouter.SERVER_TYPE_MANAGEMENT);
        return configuration;
    }

    String healthPath() {
        return settings.getHealthPath();
    }

    /** {@code camel.management.metrics-enabled}: whether {@link PrometheusMetrics} serves {@code /observe/metrics} here. */
    boolean metricsEnabled() {
        return settings.isMetricsEnabled();
    }

    /** The router the pages are added to, once the server has started. */
    Router router() {
        return VertxPlatformHttpRouter.lookup(getCamelContext(), VertxPlatformHttpRouter.getRouterNameFromPort(getConfigurationPort()));
    }
}
