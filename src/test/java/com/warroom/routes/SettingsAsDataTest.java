package com.warroom.routes;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Settings the routes paste into places that evaluate them are plain data, or the start stops. */
class SettingsAsDataTest {

    static Map<String, String> shipped() {
        Map<String, String> m = new HashMap<>();
        m.put("flashduty.base-url", "https://api.flashcat.cloud");
        m.put("rocketchat.url", "");
        m.put("war-room.event-types", "i_new,i_assign");
        m.put("war-room.severities", "Critical");
        m.put("war-room.member-ids", "");
        m.put("war-room.integration-id", "");
        return m;
    }

    @Test
    void theShippedDefaultsAndOrdinaryValuesPass() {
        assertDoesNotThrow(() -> SettingsAsData.check(shipped()::get, name -> null));
        Map<String, String> m = shipped();
        m.put("flashduty.base-url", "http://127.0.0.1:8081");
        m.put("rocketchat.url", "https://chat.example.com/rc");
        m.put("war-room.severities", "Critical,Warning");
        m.put("war-room.member-ids", "1552048792504, 1552048792505");
        m.put("war-room.integration-id", "2490562293131");
        assertDoesNotThrow(() -> SettingsAsData.check(m::get, name -> null));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "rocketchat.url|https://evil.example/${env:FLASHDUTY_APP_KEY}|ROCKETCHAT_URL",
        "rocketchat.url|${env:ROCKETCHAT_AUTH_TOKEN}|ROCKETCHAT_URL",
        "rocketchat.url|https://evil.example/{{flashduty.app-key}}|ROCKETCHAT_URL",
        "rocketchat.url|file:///etc/passwd|ROCKETCHAT_URL",
        "rocketchat.url|https://user:secret-pass@chat.example.com|ROCKETCHAT_URL",
        "rocketchat.url|https://chat.example.com/?x=1|ROCKETCHAT_URL",
        "rocketchat.url|chat.example.com|ROCKETCHAT_URL",
        "flashduty.base-url|https://|FLASHDUTY_BASE_URL",
        "flashduty.base-url|\" \"|FLASHDUTY_BASE_URL",
        "war-room.event-types|i_new,${bean:warRoomLedger?method=close}|WAR_ROOM_EVENT_TYPES",
        "war-room.event-types|i_new' or true or '|WAR_ROOM_EVENT_TYPES",
        "war-room.severities|Critical, Warning|WAR_ROOM_SEVERITIES",
        "war-room.member-ids|1,abc|WAR_ROOM_MEMBER_IDS",
        "war-room.integration-id|1,2|WAR_ROOM_INTEGRATION_ID"})
    void anythingElseStopsTheStartWithOneLineNamingTheSettingNotTheValue(String key, String value, String env) {
        Map<String, String> m = shipped();
        m.put(key, value);
        StartupProblem p = assertThrows(StartupProblem.class, () -> SettingsAsData.check(m::get, name -> null));
        assertTrue(p.getMessage().startsWith(env + " (" + key + ")"), p.getMessage());
        assertFalse(value.isBlank() ? false : p.getMessage().contains(value.trim()), "the value is never repeated: " + p.getMessage());
        assertFalse(p.getMessage().contains("evil") || p.getMessage().contains("secret-pass"), p.getMessage());
        assertFalse(p.getMessage().contains("\n"));
    }

    /** Camel resolves a placeholder nested in an environment value before anyone sees it: the raw variable is checked. */
    @Test
    void aPlaceholderInTheRawEnvironmentIsRefusedEvenThoughItArrivesResolved() {
        Map<String, String> resolved = shipped();
        resolved.put("rocketchat.url", "https://evil.example/the-app-key");
        Map<String, String> env = Map.of("ROCKETCHAT_URL", "https://evil.example/{{env:FLASHDUTY_APP_KEY}}");
        StartupProblem p = assertThrows(StartupProblem.class, () -> SettingsAsData.check(resolved::get, env::get));
        assertTrue(p.getMessage().startsWith("ROCKETCHAT_URL (rocketchat.url) holds an expression"), p.getMessage());
        assertFalse(p.getMessage().contains("evil") || p.getMessage().contains("the-app-key"), p.getMessage());
    }
}
