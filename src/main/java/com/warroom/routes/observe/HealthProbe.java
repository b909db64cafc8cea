package com.warroom.routes.observe;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * {@code java -jar war-room-routes.jar health}: asks the running module's {@code /observe/health}
 * on {@code MANAGEMENT_HOST:MANAGEMENT_PORT} (the loopback when the module listens on every
 * interface) and exits 0 when it answers ready (HTTP 200), 1 otherwise.
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

    /** The address to ask: MANAGEMENT_HOST, as config/application.properties reads it (see {@link #hostFor}). */
    public static String host() {
        return hostFor(System.getenv("MANAGEMENT_HOST"));
    }

    /**
     * Where a module listening on this bind address is reached from this machine: the loopback for
     * the default and for "every interface" (0.0.0.0, ::), else the address itself.
     */
    static String hostFor(String bindAddress) {
        String h = bindAddress == null ? "" : bindAddress.strip();
        if (h.isEmpty() || h.equals("0.0.0.0")) {
            return "127.0.0.1";
        }
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.equals("::") || h.equals("0:0:0:0:0:0:0:0")) {
            return "[::1]";
        }
        return h.contains(":") ? "[" + h + "]" : h;
    }

    /** The port the module listens on: MANAGEMENT_PORT, as config/application.properties reads it. */
    public static int port() {
        String v = System.getenv("MANAGEMENT_PORT");
        return v == null || v.isBlank() ? 8080 : Integer.parseInt(v.trim());
    }
}
