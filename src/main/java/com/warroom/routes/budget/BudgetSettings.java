package com.warroom.routes.budget;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The budget settings every member of a budget group must share: a replica with other limits, other
 * windows or without sharing would, beside the others, exceed the account. A member publishes them
 * in its Kafka client id (which the group's description shows every member), e.g.
 * {@code war-room-routes-budget_50-1000-1000-60000-on}; they are numbers and a switch, never a secret.
 */
public record BudgetSettings(int perSecond, int perMinute, long secondWindowMillis, long minuteWindowMillis, boolean sharing) {

    static final String CLIENT_ID_PREFIX = "war-room-routes-budget";
    private static final Pattern CLIENT_ID = Pattern.compile(
            Pattern.quote(CLIENT_ID_PREFIX) + "_(\\d{1,10})-(\\d{1,10})-(\\d{1,12})-(\\d{1,12})-(on|off)");

    /** The client id of this process's budget-group member. */
    public String clientId() {
        return CLIENT_ID_PREFIX + "_" + perSecond + "-" + perMinute + "-" + secondWindowMillis + "-" + minuteWindowMillis
                + "-" + (sharing ? "on" : "off");
    }

    /** The settings another member published, or null when its client id does not carry them (another program). */
    static BudgetSettings of(String clientId) {
        Matcher m = CLIENT_ID.matcher(clientId == null ? "" : clientId); // bounded: a long id does not match
        if (!m.matches()) {
            return null;
        }
        try {
            return new BudgetSettings(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(4)), "on".equals(m.group(5)));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * How another member's published settings differ from these, as one line naming each setting
     * ({@code flashduty.rate-per-minute: 1000 here, 600 at member X}); null when they are the same.
     */
    String differenceFrom(String otherClientId, String member) {
        BudgetSettings other = of(otherClientId);
        if (other == null) {
            return "member " + member + " publishes no budget settings (not a war-room-routes replica?)";
        }
        List<String> diffs = new ArrayList<>();
        diff(diffs, "flashduty.rate-per-second", perSecond, other.perSecond, member);
        diff(diffs, "flashduty.rate-per-minute", perMinute, other.perMinute, member);
        diff(diffs, "flashduty.second-window", secondWindowMillis + " ms", other.secondWindowMillis + " ms", member);
        diff(diffs, "flashduty.minute-window", minuteWindowMillis + " ms", other.minuteWindowMillis + " ms", member);
        diff(diffs, "flashduty.budget-sharing", sharing, other.sharing, member);
        return diffs.isEmpty() ? null : String.join("; ", diffs);
    }

    private static void diff(List<String> diffs, String key, Object here, Object there, String member) {
        if (!here.equals(there)) {
            diffs.add(key + ": " + here + " here, " + there + " at member " + member);
        }
    }
}
