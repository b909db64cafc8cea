package com.warroom.routes.observe;

import java.util.Map;

import com.warroom.routes.flashduty.FlashdutyResponses;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: Flashduty does not answer {@code Unauthorized}. Down from an Unauthorized answer until
 * the next call succeeds (the IM catalog refresh makes one every CATALOG_REFRESH).
 */
public final class FlashdutyAuthHealthCheck extends AbstractHealthCheck {

    private final FlashdutyResponses responses;

    public FlashdutyAuthHealthCheck(FlashdutyResponses responses) {
        super("war-room", "flashduty-auth");
        this.responses = responses;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (responses.isUnauthorized()) {
            builder.message("Flashduty answers Unauthorized: check FLASHDUTY_APP_KEY").down();
        } else {
            builder.up();
        }
    }
}
