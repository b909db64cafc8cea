package com.warroom.routes.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * Captures every log line of the test JVM, formatted with the pattern of the SHIPPED
 * src/main/resources/log4j2.xml (so its masking is part of what is tested), optionally with
 * chosen loggers, and every logger configured below them, turned up to DEBUG for the capture's lifetime.
 */
public final class LogCapture extends AbstractAppender implements AutoCloseable {

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Map<String, Level> previous = new ConcurrentHashMap<>();

    private LogCapture(PatternLayout layout) {
        super("capture-" + System.nanoTime(), null, layout, true, Property.EMPTY_ARRAY);
    }

    public static LogCapture capture(String... debugLoggers) {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration config = ctx.getConfiguration();
        PatternLayout layout = PatternLayout.newBuilder().withConfiguration(config).withPattern(shippedPattern()).build();
        LogCapture capture = new LogCapture(layout);
        capture.start();
        config.getRootLogger().addAppender(capture, Level.ALL, null);
        config.getLoggers().values().forEach(l -> {
            if (!l.isAdditive()) {
                l.addAppender(capture, Level.ALL, null);
            }
        });
        for (String name : debugLoggers) {
            // a logger configured below the name (the test config quiets some) would keep its own level
            List<String> names = new java.util.ArrayList<>(List.of(name));
            config.getLoggers().keySet().stream().filter(n -> n.startsWith(name + ".")).forEach(names::add);
            for (String n : names) {
                capture.previous.putIfAbsent(n, LogManager.getLogger(n).getLevel());
                Configurator.setLevel(n, Level.DEBUG);
            }
        }
        ctx.updateLoggers();
        return capture;
    }

    @Override
    public void append(LogEvent event) {
        lines.add(new String(getLayout().toByteArray(event), java.nio.charset.StandardCharsets.UTF_8));
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void close() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration config = ctx.getConfiguration();
        config.getRootLogger().removeAppender(getName());
        config.getLoggers().values().forEach(l -> l.removeAppender(getName()));
        previous.forEach(Configurator::setLevel);
        ctx.updateLoggers();
        stop();
    }

    static String shippedPattern() {
        return shippedPattern("console");
    }

    /** The pattern of the named appender of the shipped src/main/resources/log4j2.xml. */
    public static String shippedPattern(String appender) {
        try {
            String xml = Files.readString(Path.of("src/main/resources/log4j2.xml"));
            Matcher m = Pattern.compile("name=\"" + Pattern.quote(appender) + "\"[^>]*>\\s*<PatternLayout pattern=\"([^\"]*)\"").matcher(xml);
            if (!m.find()) {
                throw new IllegalStateException("no PatternLayout for appender " + appender + " in src/main/resources/log4j2.xml");
            }
            return m.group(1).replace("&amp;", "&").replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
