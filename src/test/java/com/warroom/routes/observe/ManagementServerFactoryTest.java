package com.warroom.routes.observe;

import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.main.HttpManagementServerConfigurationProperties;
import org.apache.camel.main.MainConfigurationProperties;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A Camel page the management server does not serve is refused in one line naming its setting; health and metrics are served. */
class ManagementServerFactoryTest {

    @Test
    void aPageNotServedStopsTheStartNamingItsSetting() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            HttpManagementServerConfigurationProperties c = new MainConfigurationProperties().httpManagementServer();
            c.setJolokiaEnabled(true);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new ManagementServerFactory().newHttpManagementServer(context, c));
            assertEquals("camel.management.jolokia-enabled: not served by this module (only health and metrics)", e.getMessage());
        }
    }

    @Test
    void healthAndMetricsAreServed() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            HttpManagementServerConfigurationProperties c = new MainConfigurationProperties().httpManagementServer();
            c.setMetricsEnabled(true);
            ManagementServer server = assertInstanceOf(ManagementServer.class, new ManagementServerFactory().newHttpManagementServer(context, c));
            assertEquals("/observe/health", server.healthPath());
            assertTrue(server.metricsEnabled());
        }
    }
}
