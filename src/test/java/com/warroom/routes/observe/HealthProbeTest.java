package com.warroom.routes.observe;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code health} asks where the module listens: the loopback when it listens on every interface. */
class HealthProbeTest {

    @Test
    void everyInterfaceOrNoSettingIsAskedOnTheLoopback() {
        assertEquals("127.0.0.1", HealthProbe.hostFor(null));
        assertEquals("127.0.0.1", HealthProbe.hostFor(" "));
        assertEquals("127.0.0.1", HealthProbe.hostFor("0.0.0.0"));
        assertEquals("[::1]", HealthProbe.hostFor("::"));
        assertEquals("[::1]", HealthProbe.hostFor("[::]"));
    }

    @Test
    void oneAddressIsAskedThere() {
        assertEquals("127.0.0.1", HealthProbe.hostFor("127.0.0.1"));
        assertEquals("10.1.2.3", HealthProbe.hostFor(" 10.1.2.3 "));
        assertEquals("[fd00::5]", HealthProbe.hostFor("fd00::5"));
        assertEquals("[fd00::5]", HealthProbe.hostFor("[fd00::5]"));
        assertEquals("mgmt.example", HealthProbe.hostFor("mgmt.example"));
    }
}
