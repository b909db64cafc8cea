package com.warroom.routes.warroom;

import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.StartupProblem;
import com.warroom.routes.incident.IncidentEventParser;
import org.apache.camel.ExchangeProperty;

/** The body of {@code POST /incident/war-room/create}. */
public final class WarRoomRequests {

    private final ObjectMapper mapper;
    private final boolean addObservers;
    private final List<Long> memberIds;

    public WarRoomRequests(ObjectMapper mapper, boolean addObservers, List<Long> memberIds) {
        this.mapper = mapper;
        this.addObservers = addObservers;
        this.memberIds = List.copyOf(memberIds);
    }

    /** Step {@code create-request}: for the event's incident and the integration picked. */
    public String createBody(@ExchangeProperty(IncidentEventParser.INCIDENT_ID) String incidentId,
                             @ExchangeProperty(WarRoomState.INTEGRATION_ID) Long integrationId) throws JsonProcessingException {
        ObjectNode body = mapper.createObjectNode();
        body.put("incident_id", incidentId);
        body.put("integration_id", integrationId);
        if (!memberIds.isEmpty()) {
            memberIds.forEach(body.putArray("member_ids")::add);
        }
        body.put("add_observers", addObservers);
        return mapper.writeValueAsString(body);
    }

    /** Parses WAR_ROOM_MEMBER_IDS ("1,2, 3", its form checked by SettingsAsData); an id past int64 stops start-up. */
    public static List<Long> parseIds(String csv) {
        try {
            return csv == null || csv.isBlank() ? List.of() : Arrays.stream(csv.split(",")).map(String::trim).map(Long::valueOf).toList();
        } catch (NumberFormatException e) {
            throw new StartupProblem("WAR_ROOM_MEMBER_IDS holds a value that is not a member id");
        }
    }
}
