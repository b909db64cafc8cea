package com.warroom.routes.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.client5.http.classic.ExecRuntime;
import org.apache.hc.client5.http.entity.compress.ContentCodecRegistry;
import org.apache.hc.client5.http.entity.compress.ContentCoding;
import org.apache.hc.client5.http.impl.ChainElement;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.concurrent.Cancellable;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.io.entity.HttpEntityWrapper;

/**
 * The one way an HTTP answer is read, for every outbound call (installed by {@link ClientAuth} as the first exec interceptor of their HTTP client):
 * <ul>
 * <li>a byte cap on the body as camel-http reads it, counted <em>after</em> the client's transparent
 * inflation (gzip, deflate: this interceptor sits outside the client's decompression), so a small
 * compressed answer that inflates to hundreds of MiB stops at the cap like a plain one. Past the cap
 * the connection is dropped (nothing more is read, not even to drain it) and the read fails with
 * {@link AnswerTooLarge};</li>
 * <li>a {@code Content-Encoding} the client did not undo is removed from the answer, so camel-http
 * never inflates it later outside the cap (it inflates gzip by that header): its bytes stay as they
 * came and do not parse as JSON, an invalid answer;</li>
 * <li>optionally a total-time deadline for the whole exchange (connect, lease, send, every read): the
 * HTTP client's own time-outs apply per read, so an answer trickling a byte at a time never trips them.
 * Cut there (the request is cancelled, which closes its connection whatever phase it is in), the
 * exchange fails with {@link AnswerDeadlinePassed}. Fixed (Rocket.Chat) or per exchange (Flashduty's
 * {@code CallDeadline}, which also honours the record's deadline).</li>
 * </ul>
 * camel-http then holds at most the cap in memory (it copies the body into a stream cache before
 * the route sees it) and the shared {@code ObjectMapper}'s {@code StreamReadConstraints} bound the parse.
 */
public final class BoundedAnswers implements ExecChainHandler {

    /** cuts the exchanges whose deadline came; a cut only closes a socket, it never blocks */
    private static final ScheduledThreadPoolExecutor CUTTER = cutter();

    private final String capSetting;
    private final long maxBytes;
    private final String deadlineSetting;
    /** per exchange, from its start: milliseconds until it is cut (negative: never); null: no deadline */
    private final LongSupplier deadlineMillis;
    private final AtomicLong tooLarge = new AtomicLong();

    /** The settings are positive: {@code Settings} refuses any other value at start. */
    private BoundedAnswers(String capSetting, long maxBytes, String deadlineSetting, LongSupplier deadlineMillis) {
        this.capSetting = capSetting;
        this.maxBytes = maxBytes;
        this.deadlineSetting = deadlineSetting;
        this.deadlineMillis = deadlineMillis;
    }

    /** Answers of at most {@code maxBytes} (after inflation); {@code setting} names the cap in the failure. */
    public static BoundedAnswers capped(String setting, long maxBytes) {
        return new BoundedAnswers(setting, maxBytes, null, null);
    }

    /** The same cap, and each exchange cut when {@code millisFromStart} (asked as it starts; negative: never) has passed. */
    public BoundedAnswers withDeadline(String setting, LongSupplier millisFromStart) {
        return new BoundedAnswers(capSetting, maxBytes, setting, millisFromStart);
    }

    /**
     * First in the client's exec chain: outside its decompression, so the cap counts inflated bytes. And
     * just inside the decompression, a step that takes away a {@code Content-Encoding} the client cannot
     * undo: since httpclient5 5.6 (Camel 4.22) the client fails such an answer ("Unsupported
     * Content-Encoding") where it used to pass it on as it came; its bytes then reach the route as before,
     * an invalid answer, never inflated. And what every outbound client shares: no automatic retry (each
     * attempt passes the account rate budget; retries are the route's), no redirect, no cookie.
     */
    public void install(HttpClientBuilder builder) {
        builder.disableAutomaticRetries();
        builder.disableRedirectHandling();
        builder.disableCookieManagement();
        builder.addExecInterceptorFirst("bounded-answer", this);
        builder.addExecInterceptorAfter(ChainElement.COMPRESS.name(), "unknown-content-coding", BoundedAnswers::dropUnknownCoding);
    }

    private static ClassicHttpResponse dropUnknownCoding(ClassicHttpRequest request, ExecChain.Scope scope, ExecChain chain)
            throws IOException, HttpException {
        ClassicHttpResponse response = chain.proceed(request, scope);
        HttpEntity entity = response.getEntity();
        String coding = entity != null ? entity.getContentEncoding() : null;
        if (coding == null) {
            Header h = response.getFirstHeader(HttpHeaders.CONTENT_ENCODING);
            coding = h != null ? h.getValue() : null;
        }
        if (coding != null && !decodable(coding)) {
            response.removeHeaders(HttpHeaders.CONTENT_ENCODING);
            if (entity != null) {
                response.setEntity(new HttpEntityWrapper(entity) {
                    @Override
                    public String getContentEncoding() {
                        return null;
                    }
                });
            }
        }
        return response;
    }

    /** Whether the client's decompression has a decoder for every coding named (identity needs none). */
    static boolean decodable(String codings) {
        for (String token : codings.split(",")) {
            String t = token.trim().toLowerCase(java.util.Locale.ROOT);
            if (t.isEmpty() || "identity".equals(t)) {
                continue;
            }
            ContentCoding coding = ContentCoding.fromToken(t);
            if (coding == null || ContentCodecRegistry.decoder(coding) == null) {
                return false;
            }
        }
        return true;
    }

    /** How many answers were cut at the cap (the metric {@code war_room_http_answers_too_large_total}). */
    public long tooLarge() {
        return tooLarge.get();
    }

    private static ScheduledThreadPoolExecutor cutter() {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "http-answer-deadline");
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        return s;
    }

    @Override
    public ClassicHttpResponse execute(ClassicHttpRequest request, ExecChain.Scope scope, ExecChain chain)
            throws IOException, HttpException {
        Cut cut = new Cut(scope, deadlineSetting, deadlineMillis == null ? -1 : deadlineMillis.getAsLong());
        ClassicHttpResponse response;
        try {
            response = chain.proceed(request, scope);
        } catch (IOException e) {
            throw cut.failed(e);
        } catch (HttpException | RuntimeException e) {
            cut.end();
            throw e;
        }
        response.removeHeaders(HttpHeaders.CONTENT_ENCODING);
        HttpEntity entity = response.getEntity();
        if (entity == null) {
            cut.end();
        } else {
            response.setEntity(new CappedEntity(entity, scope.execRuntime, cut));
        }
        return response;
    }

    /**
     * The deadline of one exchange (none when {@code millis} is negative): it cancels the request, which
     * closes its connection whatever phase it is in.
     */
    private static final class Cut {
        private final String setting;
        private final long millis;
        private final ScheduledFuture<?> future;
        private volatile boolean fired;

        Cut(ExecChain.Scope scope, String setting, long millis) {
            this.setting = setting;
            this.millis = millis;
            Cancellable sent = scope.originalRequest instanceof Cancellable c ? c
                    : scope.execRuntime instanceof Cancellable r ? r : null;
            ExecRuntime runtime = scope.execRuntime;
            this.future = millis < 0 ? null : CUTTER.schedule(() -> {
                fired = true;
                if (sent != null) {
                    sent.cancel();
                } else {
                    runtime.discardEndpoint();
                }
            }, millis, TimeUnit.MILLISECONDS);
        }

        /** Ends the deadline (the answer is read, or the exchange failed); true when it had cut the exchange. */
        boolean end() {
            if (future != null) {
                future.cancel(false);
            }
            return fired;
        }

        /** What a failed read or exchange throws: {@link AnswerDeadlinePassed} when the deadline cut it. */
        IOException failed(IOException e) {
            if (e instanceof AnswerTooLarge || e instanceof AnswerDeadlinePassed) {
                return e;
            }
            return end() ? new AnswerDeadlinePassed(setting, millis) : e;
        }
    }

    private final class CappedEntity extends HttpEntityWrapper {
        private final ExecRuntime runtime;
        private final Cut cut;
        private InputStream content;

        CappedEntity(HttpEntity wrapped, ExecRuntime runtime, Cut cut) {
            super(wrapped);
            this.runtime = runtime;
            this.cut = cut;
        }

        @Override
        public String getContentEncoding() {
            return null;
        }

        @Override
        public boolean isRepeatable() {
            return false;
        }

        @Override
        public InputStream getContent() throws IOException {
            if (content == null) {
                CappedStream capped = new CappedStream(super.getContent(), runtime, cut);
                content = capped;
                if (super.getContentLength() > maxBytes) {
                    capped.tooLarge(); // said so up front: not a byte of it is read
                }
            }
            return content;
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            try (InputStream in = getContent()) {
                in.transferTo(out);
            }
        }
    }

    /** Counts every byte read (and skipped: InputStream's skip reads); not a byte past the cap. */
    private final class CappedStream extends InputStream {
        private final InputStream in;
        private final ExecRuntime runtime;
        private final Cut cut;
        private long read;
        private boolean dropped;

        CappedStream(InputStream in, ExecRuntime runtime, Cut cut) {
            this.in = in;
            this.runtime = runtime;
            this.cut = cut;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = in.read(b, off, len);
            } catch (IOException e) {
                throw cut.failed(e);
            }
            if (n < 0) {
                cut.end();
            } else if ((read += n) > maxBytes) {
                tooLarge();
            }
            return n;
        }

        @Override
        public int available() throws IOException {
            return in.available();
        }

        @Override
        public void close() throws IOException {
            try {
                in.close();
            } catch (IOException e) {
                // the connection was dropped on purpose: closing it cannot drain or release it
                if (!dropped && !cut.fired) {
                    throw e;
                }
            } finally {
                cut.end();
            }
        }

        void tooLarge() throws IOException {
            tooLarge.incrementAndGet();
            dropped = true;
            cut.end();
            runtime.discardEndpoint();
            throw new AnswerTooLarge(capSetting, maxBytes);
        }
    }
}
