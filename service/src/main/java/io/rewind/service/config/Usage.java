package io.rewind.service.config;

import java.util.List;

/**
 * A component's {@code --help} and {@code --version}, answered before any setting is read. The help lists every
 * setting from the same {@link Setting} definitions that read and validate the configuration, in their order (the
 * module README's), each with its default, its unit and what it means; so the two cannot drift apart.
 */
public final class Usage {
    private Usage() {
    }

    /** What a command line asks for instead of a run. */
    public enum Ask {
        HELP, VERSION, RUN
    }

    public static Ask asked(List<String> args) {
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                return Ask.HELP;
            }
            if (arg.equals("--version") || arg.equals("-V")) {
                return Ask.VERSION;
            }
        }
        return Ask.RUN;
    }

    /**
     * Answers {@code --help} (the help given) or {@code --version} on standard output.
     *
     * @return whether it answered: the command then does nothing else
     */
    public static boolean answered(List<String> args, String command, Class<?> anchor, java.util.function.Supplier<String> help) {
        switch (asked(args)) {
            case HELP -> System.out.print(help.get());
            case VERSION -> System.out.println(version(command, anchor));
            case RUN -> {
                return false;
            }
        }
        return true;
    }

    /** Rewind's version, from the jar of the class given (its manifest); a build from classes says so. */
    public static String version(String command, Class<?> anchor) {
        String version = anchor.getPackage().getImplementationVersion();
        return "rewind " + command + " " + (version == null ? "(development build)" : version);
    }

    /**
     * @param command the command's name after {@code bin/rewind}, e.g. {@code tap}
     * @param summary what the component does, one sentence
     * @param envPrefix the prefix of its environment variables, e.g. {@code REWIND_TAP_}
     * @param passThrough lines describing pass-through groups such as {@code kafka.*}, as {@code key: meaning}
     */
    public static String help(String command, String summary, String envPrefix, List<Setting<?>> settings, List<String> passThrough) {
        StringBuilder out = new StringBuilder();
        out.append("Usage: bin/rewind ").append(command).append(" [--config FILE] [--KEY=VALUE ...]\n\n").append(summary).append("\n\n");
        String example = settings.get(0).key();
        out.append("Settings come from a properties file (--config FILE), then the environment (").append(envPrefix)
                .append(example.toUpperCase(java.util.Locale.ROOT).replace('.', '_')).append(" sets ").append(example)
                .append("),\nthen flags (--key=value or --key value), each later one winning. Every problem is reported at once, at")
                .append(" start;\nan unknown key is an error.\n\n");
        for (Setting<?> setting : settings) {
            out.append("  --").append(setting.key()).append('=').append(placeholder(setting.key())).append('\n');
            wrap(out, setting.description());
            out.append("      ").append(setting.required() ? "Required." : "Default: " + (setting.defaultText().isEmpty() ? "(empty)"
                    : setting.secret() ? "[hidden]" : setting.defaultText()) + ".");
            String unit = unit(setting.key());
            if (!unit.isEmpty()) {
                out.append(' ').append(unit);
            }
            out.append('\n');
        }
        for (String group : passThrough) {
            int colon = group.indexOf(": ");
            out.append("  --").append(group, 0, colon).append('\n').append("      ").append(group.substring(colon + 2)).append('\n');
        }
        out.append("\n  --help      this list\n  --version   Rewind's version\n");
        return out.toString();
    }

    /** The text indented and cut at spaces into lines of at most 118 characters. */
    private static void wrap(StringBuilder out, String text) {
        StringBuilder line = new StringBuilder("     ");
        for (String word : text.split(" ")) {
            if (line.length() + 1 + word.length() > 118 && line.length() > 6) {
                out.append(line).append('\n');
                line = new StringBuilder("     ");
            }
            line.append(' ').append(word);
        }
        out.append(line).append('\n');
    }

    private static String placeholder(String key) {
        return key.endsWith(".ms") ? "DURATION" : key.endsWith(".bytes") ? "SIZE" : key.endsWith(".port") ? "PORT" : "VALUE";
    }

    /** What the value's unit is, for keys that name it ({@link Parsers#millis}, {@link Parsers#bytes}). */
    private static String unit(String key) {
        if (key.endsWith(".ms")) {
            return "A duration: milliseconds, or a number with ms, s, m, h or d (30s, 5m).";
        }
        if (key.endsWith(".bytes")) {
            return "A size: bytes, or a number with KiB, MiB or GiB (512KiB, 1GiB).";
        }
        return "";
    }
}
