package com.warroom.routes;

import java.io.ByteArrayInputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rules the groups of WarRoomBeans keep, so Camel can bind them in any order within a group. */
class WarRoomBeansTest {

    @Test
    void aBeanIsBuiltOnlyFromConfigurationAndBeansOfEarlierGroups() {
        Map<Class<?>, String> earlierTypes = new HashMap<>();
        Set<String> earlierNames = new java.util.HashSet<>();
        List<String> problems = new ArrayList<>();
        for (Class<?> group : WarRoomBeans.GROUPS) {
            Map<Class<?>, String> thisGroup = new HashMap<>();
            for (Method m : group.getDeclaredMethods()) {
                if (!m.isAnnotationPresent(BindToRegistry.class)) {
                    continue;
                }
                thisGroup.put(m.getReturnType(), m.getName());
                for (Parameter p : m.getParameters()) {
                    if (p.isAnnotationPresent(PropertyInject.class)) {
                        assertEquals(String.class, p.getType(), m + ": configuration comes in as text");
                    } else if (p.isAnnotationPresent(BeanInject.class)) {
                        if (!earlierNames.contains(p.getAnnotation(BeanInject.class).value())) {
                            problems.add(group.getSimpleName() + "." + m.getName() + " takes " + p.getAnnotation(BeanInject.class).value());
                        }
                    } else if (p.getType() != CamelContext.class && earlierTypes.keySet().stream().noneMatch(p.getType()::isAssignableFrom)) {
                        problems.add(group.getSimpleName() + "." + m.getName() + " takes a " + p.getType().getSimpleName()
                                + " no earlier group binds");
                    }
                }
            }
            earlierTypes.putAll(thisGroup);
            earlierNames.addAll(thisGroup.values());
        }
        assertTrue(problems.isEmpty(), String.join("; ", problems));
    }

    /** Every answer goes through this mapper: no document past the larger answer cap, nesting, strings and numbers bounded. */
    @Test
    void theSharedMapperReadsWithinTheLargerAnswerCapAndJacksonsLimits() throws Exception {
        ObjectMapper mapper = new WarRoomBeans.Settings().objectMapper("1000", "2000");
        String atCap = "{\"a\":\"" + "x".repeat(2000 - 8) + "\"}";
        assertEquals(2000, atCap.getBytes(StandardCharsets.UTF_8).length);
        assertEquals(1992, mapper.readTree(new ByteArrayInputStream(atCap.getBytes(StandardCharsets.UTF_8))).path("a").asText().length());
        // Jackson checks the length as it loads each input buffer (8 KB): a document well past the cap fails
        String pastCap = "{\"a\":\"" + "x".repeat(64_000) + "\"}";
        assertThrows(StreamConstraintsException.class, () -> mapper.readTree(new ByteArrayInputStream(pastCap.getBytes(StandardCharsets.UTF_8))));

        ObjectMapper shipped = new WarRoomBeans.Settings().objectMapper("8388608", "8388608");
        assertEquals(100, shipped.readTree("[".repeat(100) + "]".repeat(100)).isArray() ? 100 : 0, "nesting 100 reads");
        assertThrows(StreamConstraintsException.class, () -> shipped.readTree("[".repeat(101) + "]".repeat(101)));
        assertThrows(StreamConstraintsException.class, () -> shipped.readTree("{\"n\":" + "9".repeat(101) + "}"));
        String name = "{\"chat_name\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}";
        assertEquals(2 * 1024 * 1024, shipped.readTree(name).path("chat_name").asText().length(), "a 2 MiB chat_name still reads (then clipped)");
        assertThrows(StreamConstraintsException.class, () -> shipped.readTree("\"" + "x".repeat(4 * 1024 * 1024 + 1) + "\""));
        assertThrows(StartupProblem.class, () -> new WarRoomBeans.Settings().objectMapper("0", "10"));
    }

    @Test
    void validateKnowsEveryBeanTheGroupsBind() {
        Map<String, Class<?>> beans = WarRoomBeans.beans();
        assertEquals(41, beans.size(), beans.keySet().toString());
        assertEquals(com.warroom.routes.ledger.WarRoomLedger.class, beans.get("warRoomLedger"));
        assertEquals(io.micrometer.core.instrument.MeterRegistry.class, beans.get("metricsRegistry"));
        assertEquals(com.warroom.routes.observe.ReadinessCheck.class, beans.get("kafkaAccessHealthCheck"));
    }

    @Test
    void aKeyMissingFromTheConfigurationIsOneLine() {
        DefaultCamelContext context = new DefaultCamelContext();
        StartupProblem problem = assertThrows(StartupProblem.class, () -> WarRoomBeans.requireKeys(context, WarRoomBeans.GROUPS));
        assertTrue(problem.getMessage().matches("configuration key [a-z.-]+ is missing from the properties"), problem.getMessage());
    }
}
