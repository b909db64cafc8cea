package com.warroom.routes.sandbox;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.warroom.routes.sandbox.FlashdutySandbox.Call;
import com.warroom.routes.sandbox.FlashdutySandbox.RawRequest;

/** Every request the sandbox answered: masked, with its answer ({@link Call}), and as it arrived ({@link RawRequest}). */
final class CallLog {

    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<RawRequest> rawRequests = new CopyOnWriteArrayList<>();

    void arrived(RawRequest raw) {
        rawRequests.add(raw);
    }

    void answered(Call call) {
        calls.add(call);
    }

    List<Call> calls() {
        return List.copyOf(calls);
    }

    List<Call> calls(String path) {
        return calls.stream().filter(c -> c.path().equals(path)).toList();
    }

    List<RawRequest> rawRequests() {
        return List.copyOf(rawRequests);
    }

    long flashdutyRejectedByRate() {
        return calls.stream().filter(c -> c.status() == 429 && FlashdutyEndpoints.PATHS.contains(c.path())).count();
    }

    /** The most Flashduty request arrivals (accepted or not) in any window of this length. */
    int maxFlashdutyInAnyWindow(long windowMillis) {
        return RateWindows.maxIn(calls.stream().filter(c -> !c.path().equals(RocketChatEndpoint.PATH))
                .map(Call::arrivalNanos).sorted().toList(), windowMillis);
    }

    void clear() {
        calls.clear();
        rawRequests.clear();
    }
}
