package io.rewind.service.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * A component's configuration as given, from three layers, each overriding the one before: a
 * properties file ({@code --config <file>}), the environment ({@code <PREFIX>COMMIT_INTERVAL_MS} is
 * {@code commit.interval.ms}) and flags ({@code --commit.interval.ms=30s} or {@code --commit.interval.ms 30s}).
 * A component reads each of its {@link Setting}s once, then calls {@link #check()}, which fails with
 * every problem at once: invalid values, missing required settings, and keys it does not know
 * (a typo is reported, never silently ignored). Pass-through groups such as {@code kafka.*} are read
 * with {@link #withPrefix}.
 */
public final class Settings {
    private final String component;
    private final Map<String, Given> given;
    private final Set<String> read = new TreeSet<>();
    private final List<String> problems = new ArrayList<>();

    /** A value as given, and where from, for messages. */
    private record Given(String text, String origin) {
    }

    private Settings(String component, Map<String, Given> given, List<String> problems) {
        this.component = component;
        this.given = given;
        this.problems.addAll(problems);
    }

    /**
     * @param component  the component's name in messages, e.g. {@code archiver}
     * @param envPrefix  e.g. {@code REWIND_ARCHIVER_}
     * @param env        the environment ({@link System#getenv()})
     * @param args       the command line
     */
    public static Settings load(String component, String envPrefix, Map<String, String> env, List<String> args) {
        List<String> problems = new ArrayList<>();
        Map<String, Given> flags = new LinkedHashMap<>();
        Path file = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                problems.add("Unexpected argument '" + arg + "': settings are given as --<key>=<value>");
                continue;
            }
            String body = arg.substring(2);
            int eq = body.indexOf('=');
            String key = eq < 0 ? body : body.substring(0, eq);
            String value;
            if (eq >= 0) {
                value = body.substring(eq + 1);
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                value = args.get(++i);
            } else {
                problems.add("The flag --" + key + " has no value: give it as --" + key + "=<value>");
                continue;
            }
            if (key.equals("config")) {
                file = Path.of(value);
            } else {
                flags.put(key, new Given(value, "flag --" + key));
            }
        }
        Map<String, Given> all = new LinkedHashMap<>();
        if (file != null) {
            Properties props = new Properties();
            try (Reader in = Files.newBufferedReader(file)) {
                props.load(in);
                for (String key : new TreeSet<>(props.stringPropertyNames())) {
                    all.put(key, new Given(props.getProperty(key), file + ""));
                }
            } catch (IOException e) {
                problems.add("The config file " + file + " cannot be read: " + e.getMessage());
            }
        }
        new TreeSet<>(env.keySet()).stream().filter(name -> name.startsWith(envPrefix) && name.length() > envPrefix.length())
                .forEach(name -> all.put(environmentKey(envPrefix, name), new Given(env.get(name), "environment " + name)));
        all.putAll(flags);
        return new Settings(component, all, problems);
    }

    /** The key an environment variable sets: with the prefix {@code REWIND_TAP_}, {@code REWIND_TAP_SPOOL_DIR} sets {@code spool.dir}. */
    public static String environmentKey(String envPrefix, String name) {
        return name.substring(envPrefix.length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }

    /** A component's settings, from the lists of its parts (its own, the TLS of a port, ...), in order. */
    @SafeVarargs
    public static List<Setting<?>> concat(List<Setting<?>>... parts) {
        List<Setting<?>> all = new java.util.ArrayList<>();
        for (List<Setting<?>> part : parts) {
            all.addAll(part);
        }
        return List.copyOf(all);
    }

    /** Settings given as a map of keys to values (as in a file), for tests, benchmarks and the quickstart. */
    public static Settings fromMap(String component, Map<String, String> settings) {
        List<String> args = settings.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toList();
        return load(component, "", Map.of(), args);
    }

    /** The setting's value: given, or its default. A problem is recorded (and the default returned) when it is invalid or missing. */
    public <T> T get(Setting<T> setting) {
        read.add(setting.key());
        Given value = given.get(setting.key());
        String text = value != null ? value.text() : setting.defaultText();
        if (text == null) {
            problems.add("The '" + setting.key() + "' setting is required: " + setting.description());
            return null;
        }
        try {
            return setting.parser().apply(text);
        } catch (RuntimeException e) {
            problems.add("The '" + setting.key() + "' value '" + (setting.secret() ? "[hidden]" : text) + "'"
                    + (value == null ? " (default)" : " (from " + value.origin() + ")") + " is invalid: " + e.getMessage());
            return setting.defaultText() == null || value == null ? null : setting.parser().apply(setting.defaultText());
        }
    }

    /** The settings under the prefix, with it removed: {@code kafka.security.protocol} gives {@code security.protocol}. */
    public Map<String, String> withPrefix(String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        given.forEach((key, value) -> {
            if (key.startsWith(prefix) && key.length() > prefix.length()) {
                read.add(key);
                out.put(key.substring(prefix.length()), value.text());
            }
        });
        return out;
    }

    /** Records a problem found by checking settings together, e.g. one that only makes sense with another. */
    public void problem(String message) {
        problems.add(message);
    }

    /** Fails with every problem at once: invalid or missing values, and keys no setting reads. */
    public void check() {
        List<String> all = new ArrayList<>(problems);
        given.forEach((key, value) -> {
            if (!read.contains(key)) {
                all.add("Unknown setting '" + key + "' (from " + value.origin() + "): the " + component
                        + " has no such setting; see its README for the list");
            }
        });
        if (!all.isEmpty()) {
            throw new ConfigException(component, all);
        }
    }

    /** Keys whose values never appear in messages or listings. */
    public static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("jaas") || k.endsWith(".key")
                || k.contains("token") || k.contains("credentials");
    }

    /** What was given, secrets hidden, for the start-up log. */
    public Map<String, String> describe() {
        Map<String, String> out = new LinkedHashMap<>();
        given.forEach((key, value) -> out.put(key, isSecret(key) ? "[hidden]" : value.text()));
        return out;
    }
}
