package com.warroom.routes.http;

import java.net.URISyntaxException;

import com.warroom.routes.security.Secret;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.HttpRequestInterceptor;
import org.apache.hc.core5.net.URIBuilder;

/**
 * The HTTP client of one outbound service (endpoint option {@code httpClientConfigurer}): every answer
 * read through its {@link BoundedAnswers} (byte cap, whole-exchange deadline, no client retry, redirect
 * or cookie), and its secrets added inside the client, just before the request is written to the wire.
 * The secrets are therefore never part of a Camel endpoint URI, message header or exchange property,
 * which Camel may log, trace or show.
 */
public final class ClientAuth implements HttpClientConfigurer {

    private final BoundedAnswers answers;
    private final HttpRequestInterceptor addSecrets;
    private final String shown;

    private ClientAuth(BoundedAnswers answers, HttpRequestInterceptor addSecrets, String shown) {
        this.answers = answers;
        this.addSecrets = addSecrets;
        this.shown = shown;
    }

    /** Flashduty: the {@code app_key} query parameter ({@code answers} with CallDeadline's deadline). */
    public static ClientAuth flashduty(Secret appKey, BoundedAnswers answers) {
        return new ClientAuth(answers, (request, entity, context) -> {
            try {
                request.setUri(new URIBuilder(request.getUri()).setParameter("app_key", appKey.reveal()).build());
            } catch (URISyntaxException e) {
                // never include the URI: it would now carry the key
                throw new IllegalStateException("cannot add the Flashduty app_key to the request");
            }
        }, "FlashdutyAuth[" + appKey + "]");
    }

    /** Rocket.Chat: the {@code X-User-Id} and {@code X-Auth-Token} headers. */
    public static ClientAuth rocketChat(Secret userId, Secret authToken, BoundedAnswers answers) {
        return new ClientAuth(answers, (request, entity, context) -> {
            request.setHeader("X-User-Id", userId.reveal());
            request.setHeader("X-Auth-Token", authToken.reveal());
        }, "RocketChatAuth[" + userId + ", " + authToken + "]");
    }

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        answers.install(builder);
        builder.addRequestInterceptorLast(addSecrets);
    }

    @Override
    public String toString() {
        return shown;
    }
}
