package com.warroom.routes.warroom;

/** Names of the exchange properties the war-room routes decide on and report. */
public final class WarRoomState {
    /** created | already_exists | skipped | failed */
    public static final String STATUS = "warRoomStatus";
    public static final String REASON = "warRoomReason";
    public static final String INTEGRATION_ID = "integrationId";
    public static final String PLUGIN_TYPE = "pluginType";

    private WarRoomState() {
    }
}
