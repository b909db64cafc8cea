package com.warroom.routes.budget;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** What a member reads from another's client id. */
class BudgetSettingsTest {

    final BudgetSettings here = new BudgetSettings(50, 1000, 1000, 60_000, true);

    @Test
    void theSameSettingsDoNotDiffer() {
        assertNull(here.differenceFrom(here.clientId(), "m1"));
        assertEquals(here, BudgetSettings.of(here.clientId()));
    }

    @Test
    void otherSettingsAreNamedOneByOne() {
        String other = new BudgetSettings(50, 600, 1000, 60_000, false).clientId();
        assertEquals("flashduty.rate-per-minute: 1000 here, 600 at member m2; flashduty.budget-sharing: true here, false at member m2",
                here.differenceFrom(other, "m2"));
    }

    /** The project was never released: a member whose client id carries no settings is not one of ours, and is a difference. */
    @Test
    void aMemberThatPublishesNoSettingsIsADifference() {
        for (String other : new String[] {"consumer-war-room-routes-budget-1", "", "war-room-routes-budget_x", "a".repeat(500),
                "war-room-routes-budget_50-1000-1000-60000-on-claims"}) {
            assertNull(BudgetSettings.of(other), other);
            assertEquals("member m3 publishes no budget settings (not a war-room-routes replica?)", here.differenceFrom(other, "m3"), other);
        }
    }
}
