package com.warroom.routes.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
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
 * The one way an HTTP answer is read, for every outbound call (installed by {@code FlashdutyAuth} and
 * {@code RocketChatAuth} as the first exec interceptor of their HTTP client):
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

    private BoundedAnswers(String capSetting, long maxBytes, String deadlineSetting, LongSupplier deadlineMillis) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException(capSetting + " must be positive");
        }
        this.capSetting = capSetting;
        this.maxBytes = maxBytes;
        this.deadlineSetting = deadlineSetting;
        this.deadlineMillis = deadlineMillis;
    }

    /** Answers of at most {@code maxBytes} (after inflation); {@code setting} names the cap in the failure. */
    public static BoundedAnswers capped(String setting, long maxBytes) {
        return new BoundedAnswers(setting, maxBytes, null, null);
    }

    /** The same cap, and the whole exchange cut at {@code deadline} from its start. */
    public BoundedAnswers withDeadline(String setting, Duration deadline) {
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException(setting + " must be positive");
        }
        long millis = deadline.toMillis();
        return withDeadline(setting, () -> millis);
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
     * an invalid answer, never inflated.
     */
    public void install(HttpClientBuilder builder) {
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

    public long maxBytes() {
        return maxBytes;
    }

    /** How many answers were cut at the cap (the metric {@code http_answers_too_large_total}). */
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
        long millis = deadlineMillis == null ? -1 : deadlineMillis.getAsLong();
        Cut cut = millis >= 0 ? Cut.schedule(scope, millis) : null;
        ClassicHttpResponse response;
        try {
            response = chain.proceed(request, scope);
        } catch (IOException e) {
            if (cut != null && cut.end()) {
                throw new AnswerDeadlinePassed(deadlineSetting, cut.millis);
            }
            throw e;
        } catch (HttpException | RuntimeException e) {
            if (cut != null) {
                cut.end();
            }
            throw e;
        }
        response.removeHeaders(HttpHeaders.CONTENT_ENCODING);
        HttpEntity entity = response.getEntity();
        if (entity == null) {
            if (cut != null) {
                cut.end();
            }
            return response;
        }
        response.setEntity(new CappedEntity(entity, scope.execRuntime, cut));
        return response;
    }

    /** The deadline of one exchange: it cancels the request, which closes its connection whatever phase it is in. */
    private static final class Cut {
        final long millis;
        volatile boolean fired;
        volatile ScheduledFuture<?> future;

        static Cut schedule(ExecChain.Scope scope, long millis) {
            Cut cut = new Cut(millis);
            Cancellable sent = scope.originalRequest instanceof Cancellable c ? c
                    : scope.execRuntime instanceof Cancellable r ? r : null;
            ExecRuntime runtime = scope.execRuntime;
            cut.future = CUTTER.schedule(() -> {
                cut.fired = true;
                if (sent != null) {
                    sent.cancel();
                } else {
                    runtime.discardEndpoint();
                }
            }, millis, TimeUnit.MILLISECONDS);
            return cut;
        }

        Cut(long millis) {
            this.millis = millis;
        }

        /** Ends the deadline (the answer is read, or the exchange failed); true when it had cut the exchange. */
        boolean end() {
            future.cancel(false);
            return fired;
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
                long declared = super.getContentLength();
                InputStream raw = super.getContent();
                content = new CappedStream(raw, runtime, cut);
                if (declared > maxBytes) {
                    // said so up front: not a byte of it is read
                    ((CappedStream) content).tooLarge();
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

    private final class CappedStream extends FilterInputStream {
        private final ExecRuntime runtime;
        private final Cut cut;
        private long read;
        private boolean dropped;

        CappedStream(InputStream in, ExecRuntime runtime, Cut cut) {
            super(in);
            this.runtime = runtime;
            this.cut = cut;
        }

        @Override
        public int read() throws IOException {
            int b;
            try {
                b = super.read();
            } catch (IOException e) {
                throw failed(e);
            }
            counted(b < 0 ? -1 : 1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(b, off, len);
            } catch (IOException e) {
                throw failed(e);
            }
            counted(n);
            return n;
        }

        /** Through {@link #read}, so skipped bytes count too (and are never skipped past the cap). */
        @Override
        public long skip(long n) throws IOException {
            byte[] buffer = new byte[(int) Math.min(8192, Math.max(0, n))];
            long skipped = 0;
            while (skipped < n) {
                int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } catch (IOException e) {
                // the connection was dropped on purpose: closing it cannot drain or release it
                if (!dropped && (cut == null || !cut.fired)) {
                    throw e;
                }
            } finally {
                endDeadline();
            }
        }

        private void counted(int n) throws IOException {
            if (n < 0) {
                endDeadline();
                return;
            }
            read += n;
            if (read > maxBytes) {
                tooLarge();
            }
        }

        void tooLarge() throws IOException {
            tooLarge.incrementAndGet();
            dropped = true;
            endDeadline();
            runtime.discardEndpoint();
            throw new AnswerTooLarge(capSetting, maxBytes);
        }

        private IOException failed(IOException e) {
            if (e instanceof AnswerTooLarge || e instanceof AnswerDeadlinePassed) {
                return e;
            }
            return cut != null && cut.end() ? new AnswerDeadlinePassed(deadlineSetting, cut.millis) : e;
        }

        private void endDeadline() {
            if (cut != null) {
                cut.end();
            }
        }
    }
}
