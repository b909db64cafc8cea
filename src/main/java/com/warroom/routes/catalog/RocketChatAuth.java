package com.warroom.routes.catalog;

import com.warroom.routes.http.BoundedAnswers;
import com.warroom.routes.security.Secret;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.HttpRequestInterceptor;

/**
 * Adds Rocket.Chat's {@code X-User-Id} and {@code X-Auth-Token} inside the HTTP client, so the
 * credentials are never Camel message headers (which routes, traces and error reports may show).
 * Every answer is read within ROCKETCHAT_MAX_ANSWER_BYTES and every exchange cut at
 * ROCKETCHAT_CALL_TIMEOUT_MS ({@link BoundedAnswers}): a trickling answer never holds the catalog timer.
 */
public final class RocketChatAuth implements HttpClientConfigurer {

    private final Secret userId;
    private final Secret authToken;
    private final BoundedAnswers answers;

    public RocketChatAuth(Secret userId, Secret authToken, BoundedAnswers answers) {
        this.userId = userId;
        this.authToken = authToken;
        this.answers = answers;
    }

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        answers.install(builder);
        builder.addRequestInterceptorLast((HttpRequestInterceptor) (request, entity, context) -> {
            request.setHeader("X-User-Id", userId.reveal());
            request.setHeader("X-Auth-Token", authToken.reveal());
        });
    }

    @Override
    public String toString() {
        return "RocketChatAuth[" + userId + ", " + authToken + "]";
    }
}
