package com.warroom.routes;

import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

    @Test
    void validateKnowsEveryBeanTheGroupsBind() {
        Map<String, Class<?>> beans = WarRoomBeans.beans();
        assertEquals(39, beans.size(), beans.keySet().toString());
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
