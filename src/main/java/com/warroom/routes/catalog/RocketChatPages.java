package com.warroom.routes.catalog;

import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.EmptyListConfirmation;
import com.warroom.routes.http.AnswerDeadlinePassed;
import com.warroom.routes.http.AnswerTooLarge;
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
 * <p>
 * The server's paging is not trusted: a page must start at the offset asked for and move past it,
 * the pages of one refresh are bounded by the first answer's {@code total} (at the server's page
 * size, plus {@value #SLACK_PAGES} pages for integrations added meanwhile) and never more than
 * {@code ROCKETCHAT_MAX_PAGES}, the items gathered by that many pages, and the 429 waits of one
 * refresh by {@code ROCKETCHAT_REFRESH}; each answer is read within {@code ROCKETCHAT_MAX_ANSWER_BYTES} and
 * {@code ROCKETCHAT_CALL_TIMEOUT_MS} ({@link com.warroom.routes.http.BoundedAnswers}). An empty list is believed only when confirmed by the next
 * refresh ({@link EmptyListConfirmation}). Anything else ends the refresh as failed, with one WARN
 * line saying why: the catalog keeps its last good Rocket.Chat entries.
 */
public final class RocketChatPages {

    private static final Logger LOG = LoggerFactory.getLogger(RocketChatPages.class);
    public static final String OFFSET = "rocketChatOffset";
    public static final String NEXT_PAGE = "rocketChatNextPage";
    public static final String WAIT_MILLIS = "rocketChatWaitMillis";
    public static final String ITEMS = "rocketChatItems";
    public static final String COMPLETE = "rocketChatComplete";
    static final String RATE_LIMITED = "rocketChatRateLimited";
    static final String WAITED_MILLIS = "rocketChatWaitedMillis";
    static final String PAGES = "rocketChatPages";
    static final String PAGE_LIMIT = "rocketChatPageLimit";
    static final String SERVED_PAGE_SIZE = "rocketChatServedPageSize";
    static final String TRANSPORT_ERROR = "rocketChatTransportError";
    static final int MAX_RATE_LIMITED = 20;
    /** pages beyond what the first total needs: integrations added while paging, a short page */
    static final int SLACK_PAGES = 2;

    private final ObjectMapper mapper;
    private final int pageSize;
    private final int maxPages;
    private final long maxItems;
    private final long maxWaitMillis;
    private final EmptyListConfirmation emptyLists;

    /**
     * @param pageSize      the count asked for per page (ROCKETCHAT_PAGE_SIZE)
     * @param maxPages      the most pages one refresh may ask for, whatever the total says (ROCKETCHAT_MAX_PAGES)
     * @param maxWaitMillis the most one refresh may wait for 429s, all together (ROCKETCHAT_REFRESH)
     */
    public RocketChatPages(ObjectMapper mapper, int pageSize, int maxPages, long maxWaitMillis) {
        this(mapper, pageSize, maxPages, maxWaitMillis, new EmptyListConfirmation(Duration.ofMillis(Math.max(0, maxWaitMillis))));
    }

    /** @param emptyLists when an empty list may replace the last good one (a refresh apart: ROCKETCHAT_REFRESH) */
    public RocketChatPages(ObjectMapper mapper, int pageSize, int maxPages, long maxWaitMillis, EmptyListConfirmation emptyLists) {
        if (pageSize < 1 || maxPages < 1 || maxWaitMillis < 0) {
            throw new IllegalArgumentException("page size and page limit must be positive, the wait limit not negative");
        }
        this.mapper = mapper;
        this.pageSize = pageSize;
        this.maxPages = maxPages;
        this.maxItems = (long) maxPages * pageSize;
        this.maxWaitMillis = maxWaitMillis;
        this.emptyLists = emptyLists;
    }

    public void begin(Exchange exchange) {
        exchange.setProperty(OFFSET, 0);
        exchange.setProperty(NEXT_PAGE, Boolean.TRUE);
        exchange.setProperty(WAIT_MILLIS, 0L);
        exchange.setProperty(ITEMS, new ArrayList<ObjectNode>());
        exchange.setProperty(COMPLETE, Boolean.FALSE);
        exchange.setProperty(RATE_LIMITED, 0);
        exchange.setProperty(WAITED_MILLIS, 0L);
        exchange.setProperty(PAGES, 0);
        exchange.setProperty(PAGE_LIMIT, maxPages);
        exchange.removeProperty(SERVED_PAGE_SIZE);
    }

    public void transportError(Exchange exchange) {
        Throwable t = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        exchange.setProperty(TRANSPORT_ERROR, t == null ? "could not be reached (error)" : why(t));
        exchange.removeProperty(Exchange.EXCEPTION_CAUGHT);
        exchange.setException(null);
    }

    /** The bounded read's own failures say which setting ended them (their text names nothing else); others, their type only. */
    private static String why(Throwable caught) {
        for (Throwable t = caught; t != null; t = t.getCause()) {
            if (t instanceof AnswerTooLarge || t instanceof AnswerDeadlinePassed) {
                return "integrations.list: " + t.getMessage();
            }
        }
        return "could not be reached (" + caught.getClass().getSimpleName() + ")";
    }

    @SuppressWarnings("unchecked")
    public void page(Exchange exchange) {
        Message msg = exchange.getMessage();
        exchange.setProperty(WAIT_MILLIS, 0L);
        String transport = exchange.getProperty(TRANSPORT_ERROR, String.class);
        if (transport != null) {
            exchange.removeProperty(TRANSPORT_ERROR);
            fail(exchange, "Rocket.Chat " + transport);
            return;
        }
        int status = msg.getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        if (status == 401) {
            stop(exchange, true, "Rocket.Chat refused the credentials (401): check ROCKETCHAT_USER_ID and ROCKETCHAT_AUTH_TOKEN");
            return;
        }
        if (status == 429) {
            rateLimited(exchange, msg);
            return; // same offset again
        }
        JsonNode body = read(msg);
        if (status != 200 || body == null || !body.path("integrations").isArray()) {
            fail(exchange, "integrations.list answered HTTP " + status + " without a list of integrations");
            return;
        }
        int asked = exchange.getProperty(OFFSET, 0, Integer.class);
        JsonNode integrations = body.path("integrations");
        int answeredOffset = body.path("offset").asInt(asked);
        int count = body.path("items").asInt(integrations.size());
        long total = body.path("total").asLong(0);
        int pages = exchange.getProperty(PAGES, 0, Integer.class) + 1;
        exchange.setProperty(PAGES, pages);
        if (count > 0 && answeredOffset != asked) {
            fail(exchange, "the page asked for at offset " + asked + " answered offset " + answeredOffset
                    + ": the server's paging does not advance");
            return;
        }
        List<ObjectNode> items = exchange.getProperty(ITEMS, List.class);
        if (items.size() + (long) integrations.size() > maxItems) {
            fail(exchange, "more than " + maxItems + " integrations (ROCKETCHAT_MAX_PAGES x ROCKETCHAT_PAGE_SIZE)");
            return;
        }
        long next = (long) asked + Math.max(0, count);
        boolean more = next < total;
        if (more) {
            if (count <= 0) {
                fail(exchange, "the page at offset " + asked + " of " + total + " held no integration: the server's paging does not advance");
                return;
            }
            String beyond = beyondBound(exchange, pages, count, total);
            if (beyond != null) {
                fail(exchange, beyond);
                return;
            }
        }
        for (JsonNode i : integrations) {
            // the id is the record key: one too long to be an id is not an integration we can publish
            if (i.path("_id").isTextual() && i.path("_id").asText().length() <= ImCatalogPublisher.MAX_FIELD_CHARS) {
                items.add(reduce(i));
            }
        }
        if (!more && !emptyLists.accepts(items.size())) {
            fail(exchange, "the list is empty; an empty list is believed only when the next refresh (ROCKETCHAT_REFRESH later)"
                    + " is empty too");
            return;
        }
        exchange.setProperty(OFFSET, (int) Math.min(Integer.MAX_VALUE, next));
        exchange.setProperty(NEXT_PAGE, more);
        exchange.setProperty(COMPLETE, !more);
    }

    /**
     * Why another page after this one would pass the bound, or null. The first page fixes the bound:
     * its total at the page size the server serves (it may cap the count asked for), plus slack.
     */
    private String beyondBound(Exchange exchange, int pages, int count, long total) {
        Integer served = exchange.getProperty(SERVED_PAGE_SIZE, Integer.class);
        if (served == null) {
            served = Math.min(pageSize, count);
            exchange.setProperty(SERVED_PAGE_SIZE, served);
            long needed = pagesFor(total, served);
            if (needed > maxPages) {
                return "the total of " + total + " integrations needs " + needed + " pages of " + served
                        + ", more than ROCKETCHAT_MAX_PAGES (" + maxPages + ")";
            }
            exchange.setProperty(PAGE_LIMIT, (int) Math.min(maxPages, needed + SLACK_PAGES));
        }
        int limit = exchange.getProperty(PAGE_LIMIT, maxPages, Integer.class);
        if (pagesFor(total, served) > limit) {
            return "the total grew to " + total + " integrations, more than the " + limit + " pages of " + served
                    + " this refresh allows";
        }
        if (pages >= limit) {
            return "the total of " + total + " integrations was not reached within " + limit + " pages";
        }
        return null;
    }

    static long pagesFor(long total, int perPage) {
        return (total + perPage - 1) / perPage;
    }

    private void rateLimited(Exchange exchange, Message msg) {
        int limited = exchange.getProperty(RATE_LIMITED, 0, Integer.class) + 1;
        exchange.setProperty(RATE_LIMITED, limited);
        if (limited > MAX_RATE_LIMITED) {
            fail(exchange, "Rocket.Chat kept answering 429 (" + MAX_RATE_LIMITED + " times)");
            return;
        }
        long reset = msg.getHeader("X-RateLimit-Reset", 0L, Long.class);
        long wait = Math.max(0, reset > 0 ? reset - System.currentTimeMillis() : 1000) + 1;
        long waited = exchange.getProperty(WAITED_MILLIS, 0L, Long.class);
        if (waited + wait > maxWaitMillis) {
            fail(exchange, "Rocket.Chat asks to wait " + wait + " ms (X-RateLimit-Reset), past the " + maxWaitMillis
                    + " ms one refresh may wait (ROCKETCHAT_REFRESH; " + waited + " ms waited already)");
            return;
        }
        exchange.setProperty(WAITED_MILLIS, waited + wait);
        exchange.setProperty(WAIT_MILLIS, wait);
        LOG.info("Rocket.Chat rate limit reached; waiting {} ms for X-RateLimit-Reset", wait);
    }

    private void fail(Exchange exchange, String why) {
        stop(exchange, false, why);
    }

    /** Ends the refresh as failed: one line (ERROR for a refused credential, else WARN), nothing published. */
    private void stop(Exchange exchange, boolean error, String why) {
        String line = "Rocket.Chat catalog refresh failed: " + why + "; keeping the last good Rocket.Chat catalog";
        if (error) {
            LOG.error(line);
        } else {
            LOG.warn(line);
        }
        exchange.setProperty(NEXT_PAGE, Boolean.FALSE);
        exchange.setProperty(COMPLETE, Boolean.FALSE);
    }

    /** Only what the catalog publishes; nothing else of a Rocket.Chat integration is kept. */
    ObjectNode reduce(JsonNode i) {
        ObjectNode v = mapper.createObjectNode();
        v.put("provider", "rocketchat");
        v.put("id", i.path("_id").asText());
        v.put("name", ImCatalogPublisher.text(i.path("name")));
        v.put("type", ImCatalogPublisher.text(i.path("type")));
        v.put("enabled", i.path("enabled").asBoolean(false));
        ArrayNode channels = v.putArray("channels");
        JsonNode c = i.path("channel");
        if (c.isArray()) {
            for (JsonNode ch : c) {
                if (channels.size() == ImCatalogPublisher.MAX_CHANNELS) {
                    break;
                }
                channels.add(ImCatalogPublisher.text(ch));
            }
        } else if (c.isTextual()) {
            channels.add(ImCatalogPublisher.text(c));
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
