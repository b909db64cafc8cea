package com.warroom.routes.catalog;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.EmptyListConfirmation;
import com.warroom.routes.flashduty.Envelope;
import com.warroom.routes.http.AnswerDeadlinePassed;
import com.warroom.routes.http.AnswerTooLarge;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.apache.camel.Variable;
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
    /** the route variable of routes/50-im-catalog.yaml that holds one refresh's {@link Refresh} */
    public static final String REFRESH = "rocketChatRefresh";
    static final int MAX_RATE_LIMITED = 20;
    /** pages beyond what the first total needs: integrations added while paging, a short page */
    static final int SLACK_PAGES = 2;

    /**
     * Where one refresh stands: its loop asks for the page at {@link #offset} while {@link #nextPage},
     * waiting {@link #waitMillis} first; {@link #complete} once every page arrived, with the {@link #items}.
     */
    public static final class Refresh {
        private final List<ObjectNode> items = new ArrayList<>();
        private int offset;
        private boolean nextPage = true;
        private boolean complete;
        private long waitMillis;
        private long waitedMillis;
        private int rateLimited;
        private int pages;
        private int pageLimit;
        /** the count the server serves a page, fixed by its first answer */
        private Integer servedPageSize;

        private Refresh(int maxPages) {
            this.pageLimit = maxPages;
        }

        public int offset() {
            return offset;
        }

        public boolean nextPage() {
            return nextPage;
        }

        public long waitMillis() {
            return waitMillis;
        }

        public boolean complete() {
            return complete;
        }

        public List<ObjectNode> items() {
            return items;
        }
    }

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
    /**
     * @param emptyLists when an empty list may replace the last good one (a refresh apart: ROCKETCHAT_REFRESH);
     *                   the numbers are positive ({@code Settings} refuses any other at start)
     */
    public RocketChatPages(ObjectMapper mapper, int pageSize, int maxPages, long maxWaitMillis, EmptyListConfirmation emptyLists) {
        this.mapper = mapper;
        this.pageSize = pageSize;
        this.maxPages = maxPages;
        this.maxItems = (long) maxPages * pageSize;
        this.maxWaitMillis = maxWaitMillis;
        this.emptyLists = emptyLists;
    }

    /** Step {@code rocketchat-begin}: a refresh from the first page. */
    public Refresh begin() {
        return new Refresh(maxPages);
    }

    /**
     * Step {@code rocketchat-transport-error} (doCatch): why no answer came. The bounded read's own failures
     * say which setting ended them (their text names nothing else); others, their type only.
     */
    public String failure(@ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Throwable caught) {
        for (Throwable t = caught; t != null; t = t.getCause()) {
            if (t instanceof AnswerTooLarge || t instanceof AnswerDeadlinePassed) {
                return "integrations.list: " + t.getMessage();
            }
        }
        return "could not be reached (" + (caught == null ? "error" : caught.getClass().getSimpleName()) + ")";
    }

    /** Step {@code rocketchat-page}: the refresh after this answer (or {@code failure}, when none came). */
    public void page(@Variable(REFRESH) Refresh r, @Variable("rocketChatFailure") String failure,
                     @Header(Exchange.HTTP_RESPONSE_CODE) Integer status, @Header("X-RateLimit-Reset") String reset, @Body Object body) {
        r.waitMillis = 0;
        if (failure != null) {
            stop(r, false, "Rocket.Chat " + failure);
            return;
        }
        int code = status == null ? 0 : status;
        if (code == 401) {
            stop(r, true, "Rocket.Chat refused the credentials (401): check ROCKETCHAT_USER_ID and ROCKETCHAT_AUTH_TOKEN");
            return;
        }
        if (code == 429) {
            rateLimited(r, reset);
            return; // same offset again
        }
        JsonNode answer = Envelope.parse(mapper, body);
        if (code != 200 || answer == null || !answer.path("integrations").isArray()) {
            stop(r, false, "integrations.list answered HTTP " + code + " without a list of integrations");
            return;
        }
        int asked = r.offset;
        JsonNode integrations = answer.path("integrations");
        int answeredOffset = answer.path("offset").asInt(asked);
        int count = answer.path("items").asInt(integrations.size());
        long total = answer.path("total").asLong(0);
        r.pages++;
        if (count > 0 && answeredOffset != asked) {
            stop(r, false, "the page asked for at offset " + asked + " answered offset " + answeredOffset
                    + ": the server's paging does not advance");
            return;
        }
        if (r.items.size() + (long) integrations.size() > maxItems) {
            stop(r, false, "more than " + maxItems + " integrations (ROCKETCHAT_MAX_PAGES x ROCKETCHAT_PAGE_SIZE)");
            return;
        }
        long next = (long) asked + Math.max(0, count);
        boolean more = next < total;
        if (more) {
            String beyond = count <= 0 ? "the page at offset " + asked + " of " + total
                    + " held no integration: the server's paging does not advance" : beyondBound(r, count, total);
            if (beyond != null) {
                stop(r, false, beyond);
                return;
            }
        }
        for (JsonNode i : integrations) {
            // the id is the record key: one too long to be an id is not an integration we can publish
            if (i.path("_id").isTextual() && i.path("_id").asText().length() <= ImCatalogPublisher.MAX_FIELD_CHARS) {
                r.items.add(reduce(i));
            }
        }
        if (!more && !emptyLists.accepts(r.items.size())) {
            stop(r, false, "the list is empty; an empty list is believed only when the next refresh (ROCKETCHAT_REFRESH later)"
                    + " is empty too");
            return;
        }
        r.offset = (int) Math.min(Integer.MAX_VALUE, next);
        r.nextPage = more;
        r.complete = !more;
    }

    /**
     * Why another page after this one would pass the bound, or null. The first page fixes the bound:
     * its total at the page size the server serves (it may cap the count asked for), plus slack.
     */
    private String beyondBound(Refresh r, int count, long total) {
        if (r.servedPageSize == null) {
            r.servedPageSize = Math.min(pageSize, count);
            long needed = pagesFor(total, r.servedPageSize);
            if (needed > maxPages) {
                return "the total of " + total + " integrations needs " + needed + " pages of " + r.servedPageSize
                        + ", more than ROCKETCHAT_MAX_PAGES (" + maxPages + ")";
            }
            r.pageLimit = (int) Math.min(maxPages, needed + SLACK_PAGES);
        }
        if (pagesFor(total, r.servedPageSize) > r.pageLimit) {
            return "the total grew to " + total + " integrations, more than the " + r.pageLimit + " pages of " + r.servedPageSize
                    + " this refresh allows";
        }
        if (r.pages >= r.pageLimit) {
            return "the total of " + total + " integrations was not reached within " + r.pageLimit + " pages";
        }
        return null;
    }

    static long pagesFor(long total, int perPage) {
        return (total + perPage - 1) / perPage;
    }

    /** A 429: wait until X-RateLimit-Reset (epoch milliseconds; else a second), within the refresh's bounds. */
    private void rateLimited(Refresh r, String reset) {
        if (++r.rateLimited > MAX_RATE_LIMITED) {
            stop(r, false, "Rocket.Chat kept answering 429 (" + MAX_RATE_LIMITED + " times)");
            return;
        }
        long resetAt = reset == null || !reset.trim().matches("[0-9]{1,18}") ? 0 : Long.parseLong(reset.trim());
        long wait = Math.max(0, resetAt > 0 ? resetAt - System.currentTimeMillis() : 1000) + 1;
        if (r.waitedMillis + wait > maxWaitMillis) {
            stop(r, false, "Rocket.Chat asks to wait " + wait + " ms (X-RateLimit-Reset), past the " + maxWaitMillis
                    + " ms one refresh may wait (ROCKETCHAT_REFRESH; " + r.waitedMillis + " ms waited already)");
            return;
        }
        r.waitedMillis += wait;
        r.waitMillis = wait;
        LOG.info("Rocket.Chat rate limit reached; waiting {} ms for X-RateLimit-Reset", wait);
    }

    /** Ends the refresh as failed: one line (ERROR for a refused credential, else WARN), nothing published. */
    private static void stop(Refresh r, boolean error, String why) {
        String line = "Rocket.Chat catalog refresh failed: " + why + "; keeping the last good Rocket.Chat catalog";
        if (error) {
            LOG.error(line);
        } else {
            LOG.warn(line);
        }
        r.nextPage = false;
        r.complete = false;
    }

    /** Only what the catalog publishes; nothing else of a Rocket.Chat integration is kept. */
    ObjectNode reduce(JsonNode i) {
        ObjectNode v = ImCatalogPublisher.entry(mapper, "rocketchat", i.path("_id").asText(), i.path("name"), i.path("type"),
                i.path("enabled").asBoolean(false));
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
}
