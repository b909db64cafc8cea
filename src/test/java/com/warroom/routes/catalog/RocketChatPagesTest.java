package com.warroom.routes.catalog;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.EmptyListConfirmation;
import com.warroom.routes.http.AnswerDeadlinePassed;
import com.warroom.routes.http.AnswerTooLarge;
import com.warroom.routes.support.LogCapture;
import com.warroom.routes.support.TestKafka;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** RocketChatPages does not trust the server's paging: every way of never reaching the end ends within the bound, failed. */
class RocketChatPagesTest {

    static final ObjectMapper MAPPER = TestKafka.MAPPER;
    /** One refresh, as the route's variable holds it. */
    static final class Run {
        RocketChatPages.Refresh r;
    }

    /** Pages as WarRoomBeans makes them: an empty list is believed a refresh ({@code maxWaitMillis}) apart. */
    static RocketChatPages pages(int pageSize, int maxPages, long maxWaitMillis) {
        return new RocketChatPages(MAPPER, pageSize, maxPages, maxWaitMillis, new EmptyListConfirmation(Duration.ofMillis(maxWaitMillis), System::nanoTime));
    }

    /** A server: what it answers for the offset and count asked. */
    interface Server {
        ObjectNode answer(int offset, int count, int call);
    }

    static ObjectNode page(int offset, int items, long total, String idPrefix) {
        ObjectNode body = MAPPER.createObjectNode();
        ArrayNode list = body.putArray("integrations");
        for (int i = 0; i < items; i++) {
            ObjectNode it = list.addObject();
            it.put("_id", idPrefix + (offset + i));
            it.put("name", "n");
            it.put("token", "secret-token");
        }
        body.put("offset", offset);
        body.put("items", items);
        body.put("total", total);
        body.put("success", true);
        return body;
    }

    /** A server with {@code total} integrations that serves at most {@code cap} a page. */
    static Server honest(int total, int cap) {
        return (offset, count, call) -> {
            int from = Math.min(total, offset);
            return page(from, Math.min(total - from, Math.min(count, cap)), total, "id");
        };
    }

    /** Runs the route's loop the way routes/50-im-catalog.yaml does; returns the pages asked for (stops at 100,000). */
    int run(RocketChatPages pages, Run run, int pageSize, Server server) throws Exception {
        run.r = pages.begin();
        int calls = 0;
        while (run.r.nextPage() && calls < 100_000) {
            byte[] body = MAPPER.writeValueAsBytes(server.answer(run.r.offset(), pageSize, calls));
            calls++;
            pages.page(run.r, null, 200, null, body);
        }
        return calls;
    }

    static boolean complete(Run e) {
        return e.r.complete();
    }

    static List<?> items(Run e) {
        return e.r.items();
    }

    @Test
    void anHonestServerIsPagedToTheEndAtTheCountItServes() throws Exception {
        Run e = new Run();
        int calls = run(pages(100, 1000, 60_000), e, 100, honest(250, 30));
        assertTrue(complete(e));
        assertEquals(9, calls, "250 at 30 a page");
        assertEquals(250, items(e).size());
        assertFalse(MAPPER.writeValueAsString(items(e)).contains("secret-token"));
    }

    @Test
    void anOffsetThatNeverAdvancesEndsAtTheSecondPageFailed() throws Exception {
        Run e = new Run();
        int calls = run(pages(3, 1000, 60_000), e, 3, (offset, count, call) -> page(0, 3, 8, "id"));
        assertEquals(2, calls);
        assertFalse(complete(e), "failed, not a partial success");
    }

    @Test
    void anEmptyPageBeforeTheTotalEndsFailed() throws Exception {
        Run e = new Run();
        int calls = run(pages(3, 1000, 60_000), e, 3,
                (offset, count, call) -> offset == 0 ? page(0, 3, 8, "id") : page(offset, 0, 8, "id"));
        assertEquals(2, calls);
        assertFalse(complete(e));
    }

    @Test
    void pagesThatShrinkPastTheFirstTotalsBoundEndAtThePageLimit() throws Exception {
        Run e = new Run();
        // 10 on the first page of 25, then one at a time: 3 pages + slack, not 16
        int calls = run(pages(10, 1000, 60_000), e, 10,
                (offset, count, call) -> page(offset, offset == 0 ? 10 : 1, 25, "id"));
        assertFalse(complete(e));
        assertEquals(3 + RocketChatPages.SLACK_PAGES, calls);
    }

    @Test
    void aTotalThatGrowsWithEveryPageEndsFailedWithinTheBound() throws Exception {
        Run e = new Run();
        int calls = run(pages(3, 1000, 60_000), e, 3,
                (offset, count, call) -> page(offset, 3, 8 + 3L * (call + 1), "id"));
        assertFalse(complete(e));
        // first total 11 needs 4 pages of 3, plus the slack
        assertTrue(calls <= 4 + RocketChatPages.SLACK_PAGES, "pages asked for: " + calls);
    }

    @Test
    void aTotalThatNeedsMoreThanTheMostPagesFailsAtTheFirstPage() throws Exception {
        Run e = new Run();
        int calls = run(pages(100, 10, 60_000), e, 100, honest(1_001, 100));
        assertEquals(1, calls);
        assertFalse(complete(e));
        assertTrue(items(e).isEmpty(), "nothing of a failed refresh is gathered");

        Run fits = new Run();
        assertEquals(10, run(pages(100, 10, 60_000), fits, 100, honest(1_000, 100)));
        assertTrue(complete(fits));
    }

    @Test
    void theItemsGatheredAreBoundedEvenWhenPagesHoldMoreThanAskedFor() throws Exception {
        Run e = new Run();
        // asked for 5 a page, the server ignores count and sends 40 (max 4 pages x 5 = 20 items)
        int calls = run(pages(5, 4, 60_000), e, 5, (offset, count, call) -> page(offset, 40, 40, "id"));
        assertEquals(1, calls);
        assertFalse(complete(e));
        assertTrue(items(e).isEmpty());
    }

    @Test
    void rateLimitWaitsAreBoundedByTheRefreshPeriodInAll() throws Exception {
        RocketChatPages pages = pages(3, 1000, 10_000);
        Run e = new Run();
        e.r = pages.begin();
        rateLimited(pages, e, System.currentTimeMillis() + 4_000);
        assertTrue(e.r.nextPage(), "waits, then asks again");
        long first = e.r.waitMillis();
        assertTrue(first > 0 && first <= 4_001, "waits until the reset: " + first);

        rateLimited(pages, e, System.currentTimeMillis() + 4_000);
        assertTrue(e.r.nextPage(), "8 s of 10 s in all");

        rateLimited(pages, e, System.currentTimeMillis() + 4_000);
        assertFalse(e.r.nextPage(), "a third wait would pass the refresh period");
        assertFalse(complete(e));
        assertEquals(0L, e.r.waitMillis(), "no wait before ending");
    }

    @Test
    void aResetFurtherAwayThanTheRefreshPeriodEndsAtOnce() {
        RocketChatPages pages = pages(3, 1000, 60_000);
        Run e = new Run();
        e.r = pages.begin();
        rateLimited(pages, e, System.currentTimeMillis() + 3_600_000);
        assertFalse(e.r.nextPage());
        assertFalse(complete(e));
    }

    @Test
    void tooMany429sEndTheRefreshFailed() {
        RocketChatPages pages = pages(3, 1000, Long.MAX_VALUE / 4);
        Run e = new Run();
        e.r = pages.begin();
        List<Boolean> more = new ArrayList<>();
        for (int i = 0; i <= RocketChatPages.MAX_RATE_LIMITED; i++) {
            rateLimited(pages, e, 0);
            more.add(e.r.nextPage());
        }
        assertTrue(more.subList(0, RocketChatPages.MAX_RATE_LIMITED).stream().allMatch(b -> b));
        assertFalse(more.get(RocketChatPages.MAX_RATE_LIMITED));
        assertFalse(complete(e));
    }

    @Test
    void aWellFormedEmptyListIsBelievedOnlyWhenTheNextRefreshIsEmptyToo() throws Exception {
        java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();
        RocketChatPages pages = new RocketChatPages(MAPPER, 100, 1000, 60_000,
                new com.warroom.routes.EmptyListConfirmation(java.time.Duration.ofSeconds(60), nanos::get));
        Run first = new Run();
        run(pages, first, 100, honest(0, 100));
        assertFalse(complete(first), "one empty answer does not replace the catalog (no tombstone for every entry)");
        Run full = new Run();
        run(pages, full, 100, honest(3, 100));
        assertTrue(complete(full));
        Run again = new Run();
        run(pages, again, 100, honest(0, 100));
        assertFalse(complete(again));
        nanos.addAndGet(java.time.Duration.ofSeconds(60).toNanos());
        Run confirmed = new Run();
        run(pages, confirmed, 100, honest(0, 100));
        assertTrue(complete(confirmed), "empty twice, a refresh apart: believed");
        assertEquals(0, items(confirmed).size());
    }

    @Test
    void anOversizedIntegrationIsBoundedSoEveryEntryFitsItsTopic() throws Exception {
        ObjectNode body = page(0, 2, 3, "id");
        ObjectNode huge = ((ArrayNode) body.get("integrations")).addObject();
        huge.put("_id", "big");
        huge.put("name", "n".repeat(2_000_000));
        huge.put("type", "webhook-incoming");
        ArrayNode channels = huge.putArray("channel");
        for (int c = 0; c < 100_000; c++) {
            channels.add("#c" + c);
        }
        ((ArrayNode) body.get("integrations")).addObject().put("_id", "x".repeat(100_000));
        body.put("items", 4);
        body.put("total", 4);
        Run e = new Run();
        run(pages(100, 1000, 60_000), e, 100, (offset, count, call) -> body);
        assertTrue(complete(e));
        assertEquals(3, items(e).size(), "an id too long to be a key is not published");
        for (Object item : items(e)) {
            assertTrue(MAPPER.writeValueAsBytes(item).length < 64 * 1024, "every entry is small: " + MAPPER.writeValueAsBytes(item).length);
        }
        ObjectNode big = (ObjectNode) items(e).get(2);
        assertEquals(256, big.path("name").asText().length());
        assertEquals(100, big.path("channels").size());
    }

    /** The HTTP client stopped reading at the cap or the deadline (BoundedAnswers): the refresh fails, saying which setting ended it. */
    @Test
    void anAnswerCutAtItsCapOrDeadlineEndsTheRefreshFailedNamingTheSetting() throws Exception {
        RocketChatPages pages = pages(100, 1000, 60_000);
        java.util.Map<Exception, String> cuts = java.util.Map.of(
                new AnswerTooLarge("ROCKETCHAT_MAX_ANSWER_BYTES", 8_388_608),
                "Rocket.Chat integrations.list: the answer is larger than ROCKETCHAT_MAX_ANSWER_BYTES (8388608 bytes)",
                new AnswerDeadlinePassed("ROCKETCHAT_CALL_TIMEOUT_MS", 30_000),
                "Rocket.Chat integrations.list: no whole answer within ROCKETCHAT_CALL_TIMEOUT_MS (30000 ms)");
        for (java.util.Map.Entry<Exception, String> cut : cuts.entrySet()) {
            try (LogCapture logs = LogCapture.capture()) {
                Run e = new Run();
                e.r = pages.begin();
                // camel-http wraps nothing here, but a cause chain is walked all the same
                pages.page(e.r, pages.failure(new java.io.IOException("wrapped", cut.getKey())), null, null, null);
                assertFalse(complete(e), "nothing of the refresh is published: the catalog keeps its last good list");
                assertFalse(e.r.nextPage(), "no next page");
                assertTrue(logs.lines().stream().anyMatch(l -> l.contains("Rocket.Chat catalog refresh failed: " + cut.getValue()
                        + "; keeping the last good Rocket.Chat catalog")), logs.lines().toString());
            }
        }
    }

    private static void rateLimited(RocketChatPages pages, Run e, long resetEpochMillis) {
        pages.page(e.r, null, 429, resetEpochMillis > 0 ? String.valueOf(resetEpochMillis) : null,
                "{\"success\":false}".getBytes(StandardCharsets.UTF_8));
    }
}
