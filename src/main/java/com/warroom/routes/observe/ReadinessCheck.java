package com.warroom.routes.observe;

import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * A readiness check of /observe/health answered by a bean that already knows, e.g.
 * {@code im-catalog} (the IM catalog was loaded at least once) and {@code flashduty-auth} (Flashduty
 * does not answer Unauthorized). When down it reports a fixed message: never a value, URI or
 * exception text. A check that is up may carry a note (e.g. {@code im-catalog}: a source whose latest
 * refresh failed), shown by {@code ?exposureLevel=full}; it does not change readiness.
 */
public final class ReadinessCheck extends AbstractHealthCheck {

    private final BooleanSupplier ready;
    private final Supplier<String> notReadyMessage;
    private final Supplier<String> upNote;

    /**
     * @param notReadyMessage made when down by a bean that says only names and classes, never values
     * @param upNote          a note while up (null: none), made like the message from names only
     */
    public ReadinessCheck(String id, BooleanSupplier ready, Supplier<String> notReadyMessage, Supplier<String> upNote) {
        super("war-room", id);
        this.ready = ready;
        this.notReadyMessage = notReadyMessage;
        this.upNote = upNote;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (ready.getAsBoolean()) {
            builder.message(upNote.get()).up(); // a null note: no message, as before the call
        } else {
            builder.message(notReadyMessage.get()).down();
        }
    }
}
