package com.warroom.routes.catalog;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pages through Rocket.Chat's {@code GET /api/v1/integrations.list} (offset/count until
 * offset + items >= total). 401 ends the refresh with one clear error line; 429 waits until
 * {@code X-RateLimit-Reset} (epoch milliseconds) before asking for the same page again. Each
 * integration is reduced to provider, id, name, type, enabled and channels the moment it arrives:
 * {@code token}, {@code script}, {@code scriptCompiled} and everything else never leave this class.
 */
public final class RocketChatPages {

    private static final Logger LOG = LoggerFactory.getLogger(RocketChatPages.class);
    public static final String OFFSET = "rocketChatOffset";
    public static final String NEXT_PAGE = "rocketChatNextPage";
    public static final String WAIT_MILLIS = "rocketChatWaitMillis";
    public static final String ITEMS = "rocketChatItems";
    public static final String COMPLETE = "rocketChatComplete";
    static final String RATE_LIMITED = "rocketChatRateLimited";
    static final String TRANSPORT_ERROR = "rocketChatTransportError";
    static final int MAX_RATE_LIMITED = 20;
    static final long MAX_WAIT_MILLIS = 300_000;

    private final ObjectMapper mapper;

    public RocketChatPages(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public void begin(Exchange exchange) {
        exchange.setProperty(OFFSET, 0);
        exchange.setProperty(NEXT_PAGE, Boolean.TRUE);
        exchange.setProperty(WAIT_MILLIS, 0L);
        exchange.setProperty(ITEMS, new ArrayList<ObjectNode>());
        exchange.setProperty(COMPLETE, Boolean.FALSE);
        exchange.setProperty(RATE_LIMITED, 0);
    }

    public void transportError(Exchange exchange) {
        Throwable t = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        exchange.setProperty(TRANSPORT_ERROR, t == null ? "error" : t.getClass().getSimpleName());
        exchange.removeProperty(Exchange.EXCEPTION_CAUGHT);
        exchange.setException(null);
    }

    @SuppressWarnings("unchecked")
    public void page(Exchange exchange) {
        Message msg = exchange.getMessage();
        exchange.setProperty(WAIT_MILLIS, 0L);
        String transport = exchange.getProperty(TRANSPORT_ERROR, String.class);
        if (transport != null) {
            exchange.removeProperty(TRANSPORT_ERROR);
            stop(exchange, "Rocket.Chat could not be reached (" + transport + "); keeping the last good Rocket.Chat catalog");
            return;
        }
        int status = msg.getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        if (status == 401) {
            stop(exchange, "Rocket.Chat refused the credentials (401): check ROCKETCHAT_USER_ID and ROCKETCHAT_AUTH_TOKEN;"
                    + " keeping the last good Rocket.Chat catalog");
            return;
        }
        if (status == 429) {
            int limited = exchange.getProperty(RATE_LIMITED, 0, Integer.class) + 1;
            exchange.setProperty(RATE_LIMITED, limited);
            if (limited > MAX_RATE_LIMITED) {
                stop(exchange, "Rocket.Chat kept answering 429; keeping the last good Rocket.Chat catalog");
                return;
            }
            long reset = msg.getHeader("X-RateLimit-Reset", 0L, Long.class);
            long wait = reset > 0 ? reset - System.currentTimeMillis() : 1000;
            exchange.setProperty(WAIT_MILLIS, Math.max(0, Math.min(MAX_WAIT_MILLIS, wait)) + 1);
            LOG.info("Rocket.Chat rate limit reached; waiting {} ms for X-RateLimit-Reset", exchange.getProperty(WAIT_MILLIS));
            return; // same offset again
        }
        JsonNode body = read(msg);
        if (status != 200 || body == null || !body.path("integrations").isArray()) {
            stop(exchange, "Rocket.Chat integrations.list answered HTTP " + status + "; keeping the last good Rocket.Chat catalog");
            return;
        }
        List<ObjectNode> items = exchange.getProperty(ITEMS, List.class);
        for (JsonNode i : body.path("integrations")) {
            if (i.path("_id").isTextual()) {
                items.add(reduce(i));
            }
        }
        int offset = body.path("offset").asInt(exchange.getProperty(OFFSET, 0, Integer.class));
        int count = body.path("items").asInt(body.path("integrations").size());
        int total = body.path("total").asInt(0);
        boolean more = count > 0 && offset + count < total;
        exchange.setProperty(OFFSET, offset + count);
        exchange.setProperty(NEXT_PAGE, more);
        exchange.setProperty(COMPLETE, !more);
    }

    private void stop(Exchange exchange, String line) {
        LOG.error(line);
        exchange.setProperty(NEXT_PAGE, Boolean.FALSE);
        exchange.setProperty(COMPLETE, Boolean.FALSE);
    }

    /** Only what the catalog publishes; nothing else of a Rocket.Chat integration is kept. */
    ObjectNode reduce(JsonNode i) {
        ObjectNode v = mapper.createObjectNode();
        v.put("provider", "rocketchat");
        v.put("id", i.path("_id").asText());
        v.put("name", i.path("name").asText(""));
        v.put("type", i.path("type").asText(""));
        v.put("enabled", i.path("enabled").asBoolean(false));
        ArrayNode channels = v.putArray("channels");
        JsonNode c = i.path("channel");
        if (c.isArray()) {
            c.forEach(ch -> channels.add(ch.asText()));
        } else if (c.isTextual()) {
            channels.add(c.asText());
        }
        return v;
    }

    private JsonNode read(Message msg) {
        try {
            Object body = msg.getBody();
            return body instanceof InputStream in ? mapper.readTree(in) : mapper.readTree(msg.getBody(byte[].class));
        } catch (Exception e) {
            return null;
        }
    }
}
