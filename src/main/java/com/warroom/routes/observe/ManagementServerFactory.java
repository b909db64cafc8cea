package com.warroom.routes.observe;

import java.util.ArrayList;
import java.util.List;

import org.apache.camel.CamelContext;
import org.apache.camel.Service;
import org.apache.camel.main.HttpManagementServerConfigurationProperties;
import org.apache.camel.main.HttpServerConfigurationProperties;
import org.apache.camel.main.MainHttpServerFactory;

/**
 * What camel-main calls for {@code camel.management.enabled=true}: the module's {@link ManagementServer}
 * (found through {@code META-INF/services/org/apache/camel/platform-http-server}, where
 * camel-platform-http-main, not served at 4.22 here, registered its own).
 * <p>
 * It takes {@code camel.management.host}, {@code port}, {@code path}, {@code health-path},
 * {@code metrics-enabled} and {@code use-global-ssl-context-parameters}. Camel's own pages (info, dev
 * console, health check, Jolokia, upload, download, send) and authentication are not served: a
 * setting that turns one on stops the start with one line naming it, instead of a page that silently
 * is not there. {@code camel.management.health-check-enabled} is forced false by the application
 * ({@link HealthPage} serves the health path). {@code camel.server.*} (an HTTP server for routes) is
 * not used by this module and is refused the same way.
 */
public final class ManagementServerFactory implements MainHttpServerFactory {

    @Override
    public Service newHttpServer(CamelContext camelContext, HttpServerConfigurationProperties configuration) {
        throw new IllegalArgumentException("camel.server.enabled: this module serves no HTTP routes (only the management "
                + "server, camel.management.*); camel-platform-http-main is not part of it");
    }

    @Override
    public Service newHttpManagementServer(CamelContext camelContext, HttpManagementServerConfigurationProperties c) {
        List<String> unsupported = new ArrayList<>();
        if (c.isInfoEnabled()) {
            unsupported.add("info-enabled");
        }
        if (c.isDevConsoleEnabled()) {
            unsupported.add("dev-console-enabled");
        }
        if (c.isHealthCheckEnabled()) {
            unsupported.add("health-check-enabled");
        }
        if (c.isJolokiaEnabled()) {
            unsupported.add("jolokia-enabled");
        }
        if (c.isUploadEnabled()) {
            unsupported.add("upload-enabled");
        }
        if (c.isDownloadEnabled()) {
            unsupported.add("download-enabled");
        }
        if (c.isSendEnabled()) {
            unsupported.add("send-enabled");
        }
        if (c.isAuthenticationEnabled()) {
            unsupported.add("authentication-enabled");
        }
        if (!unsupported.isEmpty()) {
            throw new IllegalArgumentException("camel.management." + String.join(", camel.management.", unsupported)
                    + ": not served by this module's management server (only /observe/health and /observe/metrics)");
        }
        ManagementServer server = new ManagementServer(c.getHost(), c.getPort(), c.getPath(), c.isUseGlobalSslContextParameters());
        server.setCamelContext(camelContext);
        server.setHealthPath(c.getHealthPath());
        server.setMetricsEnabled(c.isMetricsEnabled());
        return server;
    }
}
