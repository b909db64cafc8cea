package com.warroom.routes.observe;

import java.util.Map;

import com.warroom.routes.warroom.ImIntegrationCatalog;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/** Readiness: the IM catalog (Flashduty's war-room-enabled list) was loaded at least once. */
public final class ImCatalogHealthCheck extends AbstractHealthCheck {

    private final ImIntegrationCatalog catalog;

    public ImCatalogHealthCheck(ImIntegrationCatalog catalog) {
        super("war-room", "im-catalog");
        this.catalog = catalog;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (catalog.isLoaded()) {
            builder.up();
        } else {
            builder.message("the IM catalog was never loaded from Flashduty").down();
        }
    }
}
