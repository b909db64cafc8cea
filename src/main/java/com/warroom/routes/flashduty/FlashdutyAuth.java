package com.warroom.routes.flashduty;

import java.net.URISyntaxException;

import com.warroom.routes.http.BoundedAnswers;
import com.warroom.routes.security.Secret;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.HttpRequestInterceptor;
import org.apache.hc.core5.net.URIBuilder;

/**
 * Adds the secret {@code app_key} query parameter to every Flashduty request inside the HTTP
 * client, just before it is written to the wire. The key is therefore never part of a Camel
 * endpoint URI, a message header or an exchange property, which Camel may log, trace or show.
 * <p>
 * Each exchange is cut at its {@link CallDeadline} and every answer read within
 * FLASHDUTY_MAX_ANSWER_BYTES (the {@link BoundedAnswers} it is given, which also turns off the client's own retries:
 * retries are decided on Flashduty's {@code error.code} in the route).
 */
public final class FlashdutyAuth implements HttpClientConfigurer {

    private final Secret appKey;
    private final BoundedAnswers answers;

    /** {@code answers}: with CallDeadline's deadline, one for the whole exchange, not per read. */
    public FlashdutyAuth(Secret appKey, BoundedAnswers answers) {
        this.appKey = appKey;
        this.answers = answers;
    }

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        // no answer read past FLASHDUTY_MAX_ANSWER_BYTES, inflated or not, nor past its CallDeadline; no retry, redirect, cookie
        answers.install(builder);
        builder.addRequestInterceptorLast((HttpRequestInterceptor) (request, entity, context) -> {
            try {
                request.setUri(new URIBuilder(request.getUri()).setParameter("app_key", appKey.reveal()).build());
            } catch (URISyntaxException e) {
                // never include the URI: it would now carry the key
                throw new IllegalStateException("cannot add the Flashduty app_key to the request");
            }
        });
    }

    @Override
    public String toString() {
        return "FlashdutyAuth[" + appKey + "]";
    }
}
