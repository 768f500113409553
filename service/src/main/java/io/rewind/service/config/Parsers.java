package io.rewind.service.config;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** How setting texts become values. Each parser fails with an {@link IllegalArgumentException} whose message is the reason. */
public final class Parsers {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|min|h|d)?");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kib|mib|gib|kb|mb|gb|k|m|g)?");

    private Parsers() {
    }

    public static Function<String, String> text() {
        return text -> {
            if (text.isBlank()) {
                throw new IllegalArgumentException("must not be empty");
            }
            return text.trim();
        };
    }

    /** A whole number in [min, max]. */
    public static Function<String, Long> number(long min, long max) {
        return text -> {
            long value;
            try {
                value = Long.parseLong(text.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("must be a whole number");
            }
            return inRange(value, min, max, Long.toString(min), Long.toString(max));
        };
    }

    public static Function<String, Integer> integer(int min, int max) {
        return text -> number(min, max).apply(text).intValue();
    }

    /** A TCP port; 0 picks a free one. */
    public static Function<String, Integer> port() {
        return integer(0, 65_535);
    }

    /**
     * Milliseconds, for keys ending in {@code .ms}: a plain number of ms, or with a unit ({@code 500ms},
     * {@code 30s}, {@code 10m}, {@code 1h}, {@code 7d}); within [min, max].
     */
    public static Function<String, Long> millis(Duration min, Duration max) {
        return text -> {
            Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new IllegalArgumentException("must be a duration: milliseconds, or a number with ms, s, m, h or d");
            }
            long amount = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "ms" : m.group(2);
            Duration d = switch (unit) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m", "min" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
            return inRange(d.toMillis(), min.toMillis(), max.toMillis(), human(min), human(max));
        };
    }

    /** Bytes, for keys ending in {@code .bytes}: a plain number, or with a unit (KiB, MiB, GiB; k, m, g mean the same). */
    public static Function<String, Long> bytes(long min, long max) {
        return text -> {
            Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new IllegalArgumentException("must be a size: bytes, or a number with KiB, MiB or GiB");
            }
            long amount = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "b" : m.group(2);
            long factor = switch (unit.charAt(0)) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                case 'g' -> 1L << 30;
                default -> 1L;
            };
            return inRange(Math.multiplyExact(amount, factor), min, max, bytesText(min), bytesText(max));
        };
    }

    public static Function<String, Boolean> bool() {
        return text -> switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("must be true or false");
        };
    }

    public static <E extends Enum<E>> Function<String, E> oneOf(Class<E> type) {
        return text -> {
            for (E value : type.getEnumConstants()) {
                if (value.name().replace('_', '-').equalsIgnoreCase(text.trim())) {
                    return value;
                }
            }
            StringBuilder names = new StringBuilder();
            for (E value : type.getEnumConstants()) {
                names.append(names.length() == 0 ? "" : ", ").append(value.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
            throw new IllegalArgumentException("must be one of " + names);
        };
    }

    /** Empty (or blank) text is no value; any other text is parsed by {@code parser}. */
    public static <T> Function<String, Optional<T>> optional(Function<String, T> parser) {
        return text -> text.isBlank() ? Optional.empty() : Optional.of(parser.apply(text));
    }

    public static Function<String, URI> httpUrl() {
        return text -> {
            try {
                URI uri = URI.create(text.trim());
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                    throw new IllegalArgumentException("must be an http:// or https:// URL");
                }
                return uri;
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("must be an http:// or https:// URL");
            }
        };
    }

    private static long inRange(long value, long min, long max, String minText, String maxText) {
        if (value < min) {
            throw new IllegalArgumentException("must be >= " + minText);
        }
        if (value > max) {
            throw new IllegalArgumentException("must be <= " + maxText);
        }
        return value;
    }

    private static String human(Duration d) {
        long ms = d.toMillis();
        if (ms % 86_400_000 == 0 && ms > 0) {
            return ms / 86_400_000 + "d";
        }
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 && ms > 0 ? ms / 1000 + "s" : ms + "ms";
    }

    private static String bytesText(long bytes) {
        if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) {
            return (bytes >> 30) + " GiB";
        }
        if (bytes >= 1L << 20 && bytes % (1L << 20) == 0) {
            return (bytes >> 20) + " MiB";
        }
        return bytes >= 1L << 10 && bytes % (1L << 10) == 0 ? (bytes >> 10) + " KiB" : bytes + " bytes";
    }
}
