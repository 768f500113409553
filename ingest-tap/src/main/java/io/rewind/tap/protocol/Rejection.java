package io.rewind.tap.protocol;

import java.util.Locale;

/**
 * A point the tap refuses, with OpenTSDB's own words for it. {@link #kind()} is how OpenTSDB's telnet
 * reply names it ({@code invalid value} for numbers it cannot parse, {@code illegal argument} for
 * the rest); {@link #reason()} is the label the tap counts it under.
 */
public final class Rejection extends RuntimeException {
    /** What was wrong, as counted in {@code rewind_tap_points_rejected_total{reason=...}}. */
    public enum Reason {
        ARGUMENTS, METRIC, TIMESTAMP, VALUE, TAGS, ROLLUP, HISTOGRAM, LINE_TOO_LONG, BAD_REQUEST, BODY_TOO_LARGE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Reason reason;
    private final String kind;

    private Rejection(Reason reason, String kind, String message) {
        super(message, null, false, false);
        this.reason = reason;
        this.kind = kind;
    }

    public static Rejection invalidValue(String message) {
        return new Rejection(Reason.VALUE, "invalid value", message);
    }

    public static Rejection illegalArgument(Reason reason, String message) {
        return new Rejection(reason, "illegal argument", message);
    }

    public Reason reason() {
        return reason;
    }

    /** {@code invalid value} or {@code illegal argument}. */
    public String kind() {
        return kind;
    }

    /** A number-format failure: OpenTSDB's HTTP API says "Unable to parse value to a number" for these. */
    public boolean isNumberFormat() {
        return kind.equals("invalid value");
    }

    /** The telnet reply line, e.g. {@code put: illegal argument: invalid tag: hosta\n}. */
    public String telnetLine(String command) {
        return command + ": " + kind + ": " + getMessage() + "\n";
    }
}
