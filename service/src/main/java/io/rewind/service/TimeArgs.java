package io.rewind.service;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The times and durations users type on the command line: ISO-8601 ({@code 2026-11-21T14:02:00Z},
 * {@code 2026-11-21T14:02} as UTC, {@code 2026-11-21}), epoch seconds (up to 10 digits) or milliseconds
 * (13 digits), {@code now}, and times relative to now ({@code -2h}, {@code -1d12h}).
 */
public final class TimeArgs {
    private static final Pattern EPOCH = Pattern.compile("\\d{1,13}");
    private static final Pattern DURATION = Pattern.compile("([+-])?((?:\\d+(?:ms|s|m|h|d|w))+)");
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|s|m|h|d|w)");

    private TimeArgs() {
    }

    /** An instant in epoch milliseconds; relative values count from {@code nowMs}. */
    public static long parseTime(String text, long nowMs) {
        String t = text.trim();
        if (t.equals("now")) {
            return nowMs;
        }
        if (t.startsWith("-") || t.startsWith("+")) {
            return nowMs + parseDuration(t);
        }
        if (EPOCH.matcher(t).matches()) {
            long n = Long.parseLong(t);
            return t.length() <= 10 ? n * 1000 : n;
        }
        try {
            return OffsetDateTime.parse(t).toInstant().toEpochMilli();
        } catch (DateTimeParseException notOffset) {
            try {
                return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC).toEpochMilli();
            } catch (DateTimeParseException notLocal) {
                try {
                    return LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
                } catch (DateTimeParseException notDate) {
                    throw new IllegalArgumentException("'" + text + "' is not a time: use ISO-8601 (2026-11-21T14:02:00Z),"
                            + " epoch seconds or milliseconds, 'now', or a time relative to now (-2h)");
                }
            }
        }
    }

    /** A signed duration in milliseconds: {@code 7d}, {@code +1h30m}, {@code -90s}, {@code 250ms}. */
    public static long parseDuration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration: use a number and a unit (ms, s, m, h, d, w),"
                    + " e.g. 7d, +1h30m, -90s");
        }
        long total = 0;
        Matcher part = DURATION_PART.matcher(m.group(2));
        while (part.find()) {
            long n = Long.parseLong(part.group(1));
            total = Math.addExact(total, Math.multiplyExact(n, switch (part.group(2)) {
                case "ms" -> 1L;
                case "s" -> 1_000L;
                case "m" -> 60_000L;
                case "h" -> 3_600_000L;
                case "d" -> 86_400_000L;
                default -> 7 * 86_400_000L;
            }));
        }
        return "-".equals(m.group(1)) ? -total : total;
    }

    /** ISO-8601 in UTC, for output. */
    public static String format(long epochMs) {
        return Instant.ofEpochMilli(epochMs).toString();
    }
}
