package com.warroom.routes.budget;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /** A replica of an earlier version publishes nothing: refusing for it would keep every upgraded replica unready during a rolling upgrade. */
    @Test
    void aMemberThatPublishesNoSettingsIsNotADifference() {
        for (String legacy : new String[] {"consumer-war-room-routes-budget-1", "", "war-room-routes-budget_x", "a".repeat(500)}) {
            assertFalse(BudgetSettings.publishes(legacy), legacy);
            assertNull(here.differenceFrom(legacy, "m3"), legacy);
        }
        assertTrue(BudgetSettings.publishes(here.clientId()));
    }

    /** Members that share through claims say so; an earlier version's members (a fixed 1/N share) are told apart by it. */
    @Test
    void membersThatClaimAreToldFromEarlierVersions() {
        assertTrue(BudgetSettings.claims(here.clientId()));
        assertFalse(BudgetSettings.claims("war-room-routes-budget_50-1000-1000-60000-on"), "published settings, but no claims");
        assertFalse(BudgetSettings.claims("consumer-war-room-routes-budget-1"));
        assertNull(here.differenceFrom("war-room-routes-budget_50-1000-1000-60000-on", "m4"), "the same settings all the same");
    }
}
