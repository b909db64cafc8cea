package com.warroom.routes.observe;

import io.vertx.ext.web.Router;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.StaticService;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.camel.util.ObjectHelper;

/**
 * The management server of {@code camel.management.*} (MANAGEMENT_HOST:MANAGEMENT_PORT): a Vert.x HTTP
 * server of camel-platform-http-vertx on its own host and port, on which {@link HealthPage} serves
 * {@code /observe/health} (and {@code /live}, {@code /ready}) and {@link PrometheusMetrics} serves
 * {@code /observe/metrics}. Nothing else: any other path answers 404.
 * <p>
 * Why the module's own: camel-main 4.22 creates this server through a {@code MainHttpServerFactory}
 * ({@link ManagementServerFactory}), which camel-platform-http-main provides, and that module is not
 * served at 4.22 on the Maven Central this project builds from. Its server was this same Vert.x server
 * with the same router; only the pages the configuration turns on were added to it, and the module
 * turns them all off but metrics (README, Health and metrics).
 */
public final class ManagementServer extends ServiceSupport implements CamelContextAware, StaticService {

    private final VertxPlatformHttpServerConfiguration configuration = new VertxPlatformHttpServerConfiguration();
    private CamelContext camelContext;
    private String healthPath = "/observe/health";
    private boolean metricsEnabled;
    private VertxPlatformHttpServer server;
    private Router router;

    ManagementServer(String host, int port, String path, boolean useGlobalSslContextParameters) {
        configuration.setBindHost(host);
        configuration.setBindPort(port);
        configuration.setPath(path);
        configuration.setUseGlobalSslContextParameters(useGlobalSslContextParameters);
        configuration.setServerType(VertxPlatformHttpRouter.SERVER_TYPE_MANAGEMENT);
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    public String getHealthPath() {
        return healthPath;
    }

    void setHealthPath(String healthPath) {
        this.healthPath = healthPath;
    }

    /** {@code camel.management.metrics-enabled}: whether {@link PrometheusMetrics} serves {@code /observe/metrics} here. */
    public boolean isMetricsEnabled() {
        return metricsEnabled;
    }

    void setMetricsEnabled(boolean metricsEnabled) {
        this.metricsEnabled = metricsEnabled;
    }

    public String getHost() {
        return configuration.getBindHost();
    }

    /** The port it listens on (the one chosen when configured as 0). */
    public int getPort() {
        return server != null ? server.getPort() : configuration.getBindPort();
    }

    /** The router pages are added to: null until the server has started. */
    public Router getRouter() {
        return router;
    }

    @Override
    protected void doInit() throws Exception {
        ObjectHelper.notNull(camelContext, "CamelContext");
        server = new VertxPlatformHttpServer(configuration);
        server.setCamelContext(camelContext);
        ServiceHelper.initService(server);
    }

    @Override
    protected void doStart() throws Exception {
        ServiceHelper.startService(server);
        VertxPlatformHttpRouter found = VertxPlatformHttpRouter.lookup(camelContext,
                VertxPlatformHttpRouter.getRouterNameFromPort(configuration.getPort()));
        if (found == null) {
            throw new IllegalStateException("the management server's router was not registered");
        }
        router = found;
    }

    @Override
    protected void doStop() throws Exception {
        router = null;
        ServiceHelper.stopService(server);
    }
}
