package com.warroom.routes.observe;

import java.util.Map;

import org.apache.camel.CamelContext;
import org.apache.camel.Service;
import org.apache.camel.main.HttpManagementServerConfigurationProperties;
import org.apache.camel.main.HttpServerConfigurationProperties;
import org.apache.camel.main.MainHttpServerFactory;

/**
 * What camel-main calls for {@code camel.management.enabled=true} (found through
 * {@code META-INF/services/org/apache/camel/platform-http-server}, where camel-platform-http-main, not served
 * at 4.22 here, registered its own): the module's {@link ManagementServer}. It takes {@code camel.management.host},
 * {@code port}, {@code path}, {@code health-path}, {@code metrics-enabled} and {@code use-global-ssl-context-parameters}.
 * A setting that turns on one of Camel's other pages or authentication stops the start with one line naming
 * it, instead of a page that silently is not there; so does {@code camel.server.*} (an HTTP server for routes).
 */
public final class ManagementServerFactory implements MainHttpServerFactory {

    @Override
    public Service newHttpServer(CamelContext camelContext, HttpServerConfigurationProperties configuration) {
        throw new IllegalArgumentException("camel.server.enabled: this module serves no HTTP routes (only camel.management.*)");
    }

    @Override
    public Service newHttpManagementServer(CamelContext camelContext, HttpManagementServerConfigurationProperties c) {
        Map<String, Boolean> notServed = Map.of("info-enabled", c.isInfoEnabled(), "dev-console-enabled", c.isDevConsoleEnabled(),
                "health-check-enabled", c.isHealthCheckEnabled(), "jolokia-enabled", c.isJolokiaEnabled(), "upload-enabled",
                c.isUploadEnabled(), "download-enabled", c.isDownloadEnabled(), "send-enabled", c.isSendEnabled(),
                "openapi-ui-enabled", c.isOpenapiUiEnabled(), "mcp-enabled", c.isMcpEnabled(), "authentication-enabled",
                c.isAuthenticationEnabled());
        notServed.forEach((key, on) -> {
            if (on) {
                throw new IllegalArgumentException("camel.management." + key + ": not served by this module (only health and metrics)");
            }
        });
        return new ManagementServer(camelContext, c);
    }
}
