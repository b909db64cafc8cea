package com.warroom.routes.observe;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * {@code java -jar war-room-routes.jar health}: asks the running module's {@code /observe/health}
 * on {@code localhost:MANAGEMENT_PORT} and exits 0 when it answers ready (HTTP 200), 1 otherwise.
 * The container's HEALTHCHECK uses it because the JRE image has no curl or wget.
 */
public final class HealthProbe {

    private HealthProbe() {
    }

    /** 0 when {@code http://host:port/observe/health} answers 200 within the time-out, else 1. */
    public static int probe(String host, int port, Duration timeout) {
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/observe/health"))
                    .timeout(timeout).GET().build();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            System.out.println(response.body());
            return response.statusCode() == 200 ? 0 : 1;
        } catch (Exception e) {
            System.out.println("not reachable: " + e.getClass().getSimpleName());
            return 1;
        }
    }

    /** The port the module listens on: MANAGEMENT_PORT, as config/application.properties reads it. */
    public static int port() {
        String v = System.getenv("MANAGEMENT_PORT");
        return v == null || v.isBlank() ? 8080 : Integer.parseInt(v.trim());
    }
}
