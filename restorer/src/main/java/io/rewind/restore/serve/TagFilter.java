package io.rewind.restore.serve;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One of OpenTSDB 2.4's tag value filters ({@code literal_or}, {@code iliteral_or}, {@code not_literal_or},
 * {@code not_iliteral_or}, {@code wildcard}, {@code iwildcard}, {@code regexp}) with OpenTSDB's own matching rules, quirks
 * included: a wildcard's inner parts are found in order but not anchored, and a tag value written with a {@code *} in a
 * query's braces is a case-insensitive wildcard.
 */
record TagFilter(String type, String tagk, String filter, boolean groupBy, boolean caseInsensitive) {
    static final List<String> TYPES = List.of("literal_or", "iliteral_or", "not_literal_or", "not_iliteral_or", "wildcard", "iwildcard", "regexp");

    TagFilter {
        Objects.requireNonNull(tagk);
        if (tagk.isEmpty()) {
            throw new IllegalArgumentException("Filter must have a tagk");
        }
        if (filter == null || filter.isEmpty()) {
            throw new IllegalArgumentException("Filter cannot be null or empty");
        }
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("Could not find a tag value filter of the type: " + type);
        }
        if (type.endsWith("literal_or") && filter.equals("|")) {
            throw new IllegalArgumentException("Filter must contain at least one literal");
        }
        if (type.endsWith("wildcard") && !filter.contains("*")) {
            throw new IllegalArgumentException("Filter must contain an asterisk");
        }
        if (type.equals("regexp")) {
            Pattern.compile(filter);
        }
    }

    /** A tag value as OpenTSDB reads it from a query's braces or a POST's {@code tags}: *, type(value), a glob, or literals. */
    static TagFilter fromTagValue(String tagk, String value, boolean groupBy) {
        if (value.equals("*")) {
            return new TagFilter("wildcard", tagk, "*", groupBy, false);
        }
        int open = value.indexOf('(');
        if (open >= 0) {
            if (!value.endsWith(")")) {
                throw new IllegalArgumentException("Filter must end with a closing parenthesis: " + value);
            }
            String type = value.substring(0, open).toLowerCase(Locale.ROOT);
            return new TagFilter(type, tagk, value.substring(open + 1, value.length() - 1), groupBy, false);
        }
        if (value.contains("*")) {
            return new TagFilter("wildcard", tagk, value, groupBy, true);
        }
        return new TagFilter("literal_or", tagk, value, groupBy, false);
    }

    TagFilter withGroupBy() {
        return new TagFilter(type, tagk, filter, true, caseInsensitive);
    }

    /** Whether only the UIDs of its values are matched (enforced in OpenTSDB's row-key regular expression, not after the scan). */
    boolean literal() {
        return type.equals("literal_or");
    }

    Set<String> literals() {
        return new HashSet<>(Arrays.asList(filter.split("\\|")));
    }

    /** OpenTSDB's {@code match}: the series' tags against this filter (the tag's presence is checked by the caller, as the scan does). */
    boolean matches(Map<String, String> tags) {
        String value = tags.get(tagk);
        switch (type) {
            case "not_literal_or":
                return value == null || !literals().contains(value);
            case "not_iliteral_or":
                return value == null || !lower(literals()).contains(value.toLowerCase(Locale.ROOT));
            default:
                break;
        }
        if (value == null) {
            return false;
        }
        return switch (type) {
            case "literal_or" -> literals().contains(value);
            case "iliteral_or" -> lower(literals()).contains(value.toLowerCase(Locale.ROOT));
            case "regexp" -> Pattern.compile(filter).matcher(value).find();
            case "wildcard" -> wildcard(caseInsensitive ? filter.toLowerCase(Locale.ROOT) : filter,
                    caseInsensitive ? value.toLowerCase(Locale.ROOT) : value);
            case "iwildcard" -> wildcard(filter.toLowerCase(Locale.ROOT), value.toLowerCase(Locale.ROOT));
            default -> false;
        };
    }

    private static Set<String> lower(Set<String> values) {
        Set<String> out = new HashSet<>();
        values.forEach(v -> out.add(v.toLowerCase(Locale.ROOT)));
        return out;
    }

    /** {@code TagVWildcardFilter.match}, as 2.4.1 has it. */
    private static boolean wildcard(String filter, String value) {
        if (filter.equals("*")) {
            return true;
        }
        boolean postfix = filter.startsWith("*");
        boolean prefix = filter.endsWith("*");
        String actual = filter.replaceAll("^\\*+", "").replaceAll("\\*+$", "");
        if (actual.isEmpty()) {
            return true;
        }
        String[] components = actual.split("\\*");
        if (postfix && !prefix && !value.endsWith(components[components.length - 1])) {
            return false;
        }
        if (prefix && !postfix && !value.startsWith(components[0])) {
            return false;
        }
        int idx = 0;
        for (String component : components) {
            if (value.indexOf(component, idx) < 0) {
                return false;
            }
            idx += component.length();
        }
        return true;
    }
}
