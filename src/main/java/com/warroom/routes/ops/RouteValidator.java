package com.warroom.routes.ops;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.warroom.routes.app.Settings;
import com.warroom.routes.StartupProblem;
import com.warroom.routes.app.WarRoomBeans;
import org.apache.camel.CamelContext;
import org.apache.camel.NamedNode;
import org.apache.camel.catalog.EndpointValidationResult;
import org.apache.camel.catalog.impl.AbstractCamelCatalog;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.BeanDefinition;
import org.apache.camel.model.CatchDefinition;
import org.apache.camel.model.ChoiceDefinition;
import org.apache.camel.model.ExpressionNode;
import org.apache.camel.model.FromDefinition;
import org.apache.camel.model.Model;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.SendDefinition;
import org.apache.camel.model.ToDynamicDefinition;
import org.apache.camel.model.TryDefinition;
import org.apache.camel.model.language.ExpressionDefinition;
import org.apache.camel.model.language.MethodCallExpression;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;

/**
 * {@code validate [--routes DIR] [--config FILE]}: checks edited routes before they are deployed,
 * without starting a consumer or connecting anywhere. Camel does the work: its YAML DSL loader
 * parses each file (syntax errors carry their line), source locations give each step's line, the
 * properties component resolves every placeholder, and the runtime catalog checks every endpoint
 * and its options. Bean references are checked against {@link WarRoomBeans#beans}: the beans, bound
 * from the configuration into a registry of their own (no app key is needed, nothing connects). Hand-written here: walking the route model and finding the exact line of a problem inside
 * a step (a step knows only where it starts).
 */
public final class RouteValidator {

    /** One problem: where, and what. */
    record Problem(Path file, int line, String message) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + message;
        }
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([^{}]+)}}");
    /** an endpoint option naming a bean: {@code option=#name} or {@code #bean:name} (not {@code #class:}, {@code #type:}, ...) */
    private static final Pattern REFERENCE = Pattern.compile("[?&]([^=&]+)=(#(?:bean:)?([A-Za-z][\\w.-]*))(?=&|$)");
    private static final Pattern SIMPLE_BEAN = Pattern.compile("\\$\\{bean:([A-Za-z0-9_.-]+)(?:\\?method=([A-Za-z0-9_]+))?");

    private RouteValidator() {
    }

    /** The command: prints each problem as {@code file:line: problem}; 0 when clean, 1 with problems, 2 for bad usage. */
    public static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        return CommandLine.exitCode(err, () -> {
            CommandLine cl = CommandLine.parse("validate", args, Set.of(), Set.of());
            return validate(cl.path("--routes"), cl.path("--config"), out);
        });
    }

    private static int validate(Path routesDir, Path configFile, PrintStream out) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(routesDir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().toList();
        }
        // never started (so never stopped either): nothing connects, nothing runs, nothing logs
        DefaultCamelContext context = new DefaultCamelContext();
        context.setSourceLocationEnabled(true);
        context.getPropertiesComponent().setLocation("file:" + configFile.toAbsolutePath());
        List<Problem> problems = new ArrayList<>(placeholders(context, configFile, Files.readAllLines(configFile)));
        Map<String, Class<?>> beans = null; // unknown when the settings they are built from are not usable
        try {
            beans = WarRoomBeans.beans(Settings.read(context.getPropertiesComponent()::resolveProperty));
        } catch (StartupProblem e) {
            problems.add(new Problem(configFile, 0, e.getMessage()));
        }
        Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
        // the runtime catalog (camel-core-catalog) reads each component's option model from its jar
        AbstractCamelCatalog catalog = (AbstractCamelCatalog) context.getCamelContextExtension().getRuntimeCamelCatalog();
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file);
            problems.addAll(placeholders(context, file, lines));
            int before = model.getRouteDefinitions().size();
            try {
                PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.resolveResource(context, "file:" + file.toAbsolutePath()));
            } catch (Exception e) {
                problems.add(loadProblem(file, e));
                continue;
            }
            for (RouteDefinition route : model.getRouteDefinitions().subList(before, model.getRouteDefinitions().size())) {
                new RouteCheck(context, catalog, beans, file, lines, problems).route(route);
            }
        }
        if (problems.isEmpty()) {
            ReplayDryRun.missing(model).forEach(id -> problems.add(new Problem(routesDir, 0, "no route " + id + " (the replay's dry run runs it)")));
        }
        problems.forEach(out::println);
        out.println(problems.isEmpty() ? "ok: " + model.getRouteDefinitions().size() + " routes in " + files.size() + " files"
                : problems.size() + " problem(s) in " + files.size() + " files");
        return problems.isEmpty() ? 0 : 1;
    }

    /** Every {{placeholder}} outside comments must resolve against the configuration. */
    private static List<Problem> placeholders(CamelContext context, Path file, List<String> lines) {
        List<Problem> problems = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.stripLeading().startsWith("#")) {
                continue;
            }
            Matcher m = PLACEHOLDER.matcher(line);
            while (m.find()) {
                try {
                    context.resolvePropertyPlaceholders(m.group());
                } catch (RuntimeException e) {
                    problems.add(new Problem(file, i + 1, "unknown placeholder " + m.group()));
                }
            }
        }
        return problems;
    }

    private static Problem loadProblem(Path file, Exception e) {
        Throwable root = e;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYamlEngineException y) {
                Mark mark = y.getProblemMark().or(y::getContextMark).orElse(null);
                String what = y.getProblem() != null ? y.getProblem() : y.getContext();
                return new Problem(file, mark == null ? 0 : mark.getLine() + 1, "YAML: " + oneLine(what));
            }
            root = t;
        }
        return new Problem(file, 0, "cannot load routes: " + oneLine(root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage()));
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }

    /** Walks one route's steps. */
    private record RouteCheck(CamelContext context, AbstractCamelCatalog catalog, Map<String, Class<?>> beans, Path file, List<String> lines,
                              List<Problem> problems) {

        void route(RouteDefinition route) {
            FromDefinition from = route.getInput();
            if (from != null && made(route)) {
                endpoint(from, from.getEndpointUri(), false);
            }
            route.getOutputs().forEach(this::node);
        }

        /** Camel makes no route whose precondition is false; its consumer's settings are then empty (a timer without period). */
        private boolean made(RouteDefinition route) {
            try {
                String p = route.getPrecondition() == null ? "true" : context.resolvePropertyPlaceholders(route.getPrecondition());
                return context.resolveLanguage("simple").createPredicate(p).matches(new DefaultExchange(context));
            } catch (RuntimeException e) {
                return true; // the unknown placeholder is reported on its own line
            }
        }

        private void node(ProcessorDefinition<?> node) {
            if (node == null) {
                return;
            }
            if (node instanceof SendDefinition<?> send) {
                endpoint(node, send.getEndpointUri(), false);
            } else if (node instanceof ToDynamicDefinition toD) {
                endpoint(node, toD.getUri(), true);
            }
            if (node instanceof BeanDefinition bean && bean.getRef() != null) {
                bean(node, bean.getRef(), bean.getMethod(), "ref", "method");
            }
            if (node instanceof ExpressionNode en) {
                expression(node, en.getExpression());
            }
            if (node instanceof CatchDefinition c && c.getOnWhen() != null) {
                expression(node, c.getOnWhen().getExpression());
            }
            if (node instanceof ChoiceDefinition choice) {
                // its outputs are those of its whens and otherwise
                choice.getWhenClauses().forEach(when -> expression(when, when.getExpression()));
            }
            if (node instanceof TryDefinition t) {
                t.getCatchClauses().forEach(this::node);
                node(t.getFinallyClause());
            }
            node.getOutputs().forEach(this::node);
        }

        private void expression(NamedNode node, ExpressionDefinition e) {
            if (e instanceof MethodCallExpression call && call.getRef() != null) {
                bean(node, call.getRef(), call.getMethod(), "ref", "method");
            } else if (e != null && e.getExpression() != null && "ref".equals(e.getLanguage())) {
                bean(node, e.getExpression().trim(), null, "ref", null);
            } else if (e != null && e.getExpression() != null && "simple".equals(e.getLanguage())) {
                Matcher m = SIMPLE_BEAN.matcher(e.getExpression());
                while (m.find()) {
                    bean(node, m.group(1), m.group(2), null, "method");
                }
            }
        }

        private void bean(NamedNode node, String name, String method, String refKey, String methodKey) {
            if (beans == null) {
                return;
            }
            Class<?> type = beans.get(name);
            if (type == null) {
                problems.add(at(node, refKey, name, "no bean named " + name + " (WarRoomBeans binds " + String.join(", ", beans.keySet()) + ")"));
            } else if (method != null && Arrays.stream(type.getMethods()).map(Method::getName).noneMatch(method::equals)) {
                problems.add(at(node, methodKey, method, "bean " + name + " (" + type.getSimpleName() + ") has no method " + method));
            }
        }

        private void endpoint(NamedNode node, String uri, boolean dynamic) {
            if (uri == null) {
                return;
            }
            String resolved;
            try {
                resolved = context.resolvePropertyPlaceholders(uri);
            } catch (RuntimeException e) {
                return; // the unknown placeholder is reported on its own line
            }
            if (uri.startsWith("{{") && !resolved.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*")) {
                // the endpoint comes from a setting that is empty here (e.g. ROCKETCHAT_URL): used only when it is set
                return;
            }
            for (Matcher m = REFERENCE.matcher(resolved); m.find() && beans != null; ) {
                if (!beans.containsKey(m.group(3))) {
                    problems.add(at(node, m.group(1), m.group(2), "option " + m.group(1) + " refers to " + m.group(2) + ": no bean named " + m.group(3)));
                }
            }
            if (dynamic && resolved.contains("${")) {
                // the dynamic part is known only per message; check the options with a stand-in path
                resolved = resolved.replaceAll("\\$\\{[^}]*}", "dynamic");
            }
            EndpointValidationResult r = catalog.validateEndpointProperties(resolved, true);
            String scheme = resolved.contains(":") ? resolved.substring(0, resolved.indexOf(':')) : resolved;
            if (r.getUnknownComponent() != null) {
                // the catalog counts this as success (the component may be added later); here it is on the classpath or nowhere
                problems.add(at(node, "uri", null, "unknown component " + r.getUnknownComponent() + " (not on the classpath)"));
                return;
            }
            if (r.isSuccess()) {
                return;
            }
            int before = problems.size();
            if (r.getUnknown() != null) {
                for (String option : r.getUnknown()) {
                    String[] suggestions = r.getUnknownSuggestions() == null ? null : r.getUnknownSuggestions().get(option);
                    String hint = suggestions == null || suggestions.length == 0 ? "" : " (did you mean " + String.join(" or ", suggestions) + "?)";
                    problems.add(at(node, option, null, "unknown option " + option + " of the " + scheme + " endpoint" + hint));
                }
            }
            invalid(node, scheme, r.getInvalidBoolean(), option -> "a boolean");
            invalid(node, scheme, r.getInvalidInteger(), option -> "an integer");
            invalid(node, scheme, r.getInvalidNumber(), option -> "a number");
            invalid(node, scheme, r.getInvalidDuration(), option -> "a duration");
            invalid(node, scheme, r.getInvalidReference(), option -> "a #bean reference");
            // the catalog names an invalid enum's choices with it
            invalid(node, scheme, r.getInvalidEnum(), option -> "one of " + String.join(", ", r.getInvalidEnumChoices().get(option)));
            if (r.getRequired() != null) {
                r.getRequired().forEach(option -> problems.add(at(node, "uri", null, "the " + scheme + " endpoint needs option " + option)));
            }
            if (problems.size() == before) {
                problems.add(at(node, "uri", null, scheme + " endpoint: " + oneLine(r.summaryErrorMessage(false, true, false))));
            }
        }

        private void invalid(NamedNode node, String scheme, Map<String, String> values, Function<String, String> kind) {
            if (values != null) {
                values.forEach((option, value) -> problems.add(at(node, option, null,
                        "option " + option + " of the " + scheme + " endpoint: " + value + " is not " + kind.apply(option))));
            }
        }

        /**
         * The line inside the step that starts at the node's line where {@code key: value} is written
         * (or {@code key=value} inside a URI, or {@code ${bean:value}}); else the step's own line.
         */
        private Problem at(NamedNode node, String key, String value, String message) {
            int start = node.getLineNumber();
            if (start > 0 && (key != null || value != null)) {
                String v = value == null ? "[^\\s,}]*" : Pattern.quote(value);
                Pattern yaml = key == null ? Pattern.compile("bean:" + v + "\\b")
                        : Pattern.compile("(^|[\\s{,?&])" + Pattern.quote(key) + "(:\\s*[\"']?|=)" + v + "([\"'\\s,}&]|$)");
                for (int i = start - 1; i < lines.size(); i++) {
                    if (yaml.matcher(lines.get(i)).find()) {
                        return new Problem(file, i + 1, message);
                    }
                }
            }
            return new Problem(file, Math.max(start, 0), message);
        }
    }
}
