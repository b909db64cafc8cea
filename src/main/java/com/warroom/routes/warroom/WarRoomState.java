package com.warroom.routes.warroom;

/** Names of the exchange properties the war-room routes decide on and report. */
public final class WarRoomState {
    /** created | already_exists | skipped | failed */
    public static final String STATUS = "warRoomStatus";
    public static final String REASON = "warRoomReason";
    public static final String INTEGRATION_ID = "integrationId";
    public static final String PLUGIN_TYPE = "pluginType";
    /** the incident's ledger entry (a JSON object), set when it is found in the ledger or written to it */
    public static final String LEDGER_ENTRY = "ledgerEntry";

    private WarRoomState() {
    }
}
