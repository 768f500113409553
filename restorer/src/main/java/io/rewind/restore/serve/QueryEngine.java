package io.rewind.restore.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.text.ParseException;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TimeZone;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenTSDB 2.4.1's {@code /api/query} over the archive, computed as a TSD computes it (TsdbQuery, SpanGroup,
 * AggregationIterator, Downsampler, RateSpan, HttpJsonSerializer): the same hours read, the same interpolation and
 * integer arithmetic, the same JSON. Series and groups come in name order where a TSD orders them by its UIDs.
 */
final class QueryEngine {
    private static final JsonFactory JSON_FACTORY = new JsonFactory();
    private static final long HOUR_S = 3600;
    /** The longest span of event times one query reads: five years (a zoom-out to all time is refused, not listed hour by hour). */
    static final long MAX_SCAN_MS = 5 * 365 * 86_400_000L;
    /** The most downsampling intervals of one series a query computes (a day in seconds is 86,400). */
    static final long MAX_BUCKETS = 1_000_000;

    private final ArchiveSeries archive;
    private final ServeServer.Catalogs catalogs;

    QueryEngine(ArchiveSeries archive, ServeServer.Catalogs catalogs) {
        this.archive = archive;
        this.catalogs = catalogs;
    }

    record Downsample(long intervalMs, Aggregator function, String fill) {
    }

    record RateOptions(boolean counter, long counterMax, long resetValue, boolean dropResets) {
        static final RateOptions DEFAULT = new RateOptions(false, Long.MAX_VALUE, 0, false);
    }

    record SubQuery(Aggregator aggregator, String metric, Downsample downsample, boolean rate, RateOptions rateOptions, List<TagFilter> filters,
            boolean explicitTags) {
    }

    record Query(long startMs, long endMs, boolean msResolution, long asOfMs, List<SubQuery> queries) {
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Requests

    byte[] query(JsonNode body, Map<String, List<String>> params) throws IOException, InterruptedException {
        Query query = body != null ? parsePost(body, params) : parseGet(params);
        return run(query);
    }

    Query parseGet(Map<String, List<String>> params) {
        String start = ServeServer.first(params, "start");
        if (start == null || start.isEmpty()) {
            throw new OpenTsdbApi.ApiException(400, "Missing parameter <code>start</code>", "");
        }
        List<SubQuery> subs = new ArrayList<>();
        for (String m : params.getOrDefault("m", List.of())) {
            subs.add(parseM(m));
        }
        if (subs.isEmpty()) {
            throw new OpenTsdbApi.ApiException(400, "Missing sub queries", "");
        }
        return validated(start, ServeServer.first(params, "end"), params.containsKey("ms"), asOf(ServeServer.first(params, "as_of")),
                List.copyOf(new java.util.LinkedHashSet<>(subs)));
    }

    Query parsePost(JsonNode body, Map<String, List<String>> params) {
        String asOf = body.has("as_of") ? body.get("as_of").asText() : ServeServer.first(params, "as_of");
        JsonNode queries = body.get("queries");
        if (queries == null || !queries.isArray()) {
            throw new OpenTsdbApi.ApiException(400, "Missing queries", "");
        }
        List<SubQuery> subs = new ArrayList<>();
        for (JsonNode q : queries) {
            List<TagFilter> filters = new ArrayList<>();
            Iterator<Map.Entry<String, JsonNode>> fields = q.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (field.getKey().equals("tags")) { // the later of tags and filters wins, as OpenTSDB's setters do
                    filters.clear();
                    field.getValue().fields().forEachRemaining(t -> addFilter(filters, TagFilter.fromTagValue(t.getKey(), t.getValue().asText(), true)));
                } else if (field.getKey().equals("filters")) {
                    filters.clear();
                    for (JsonNode f : field.getValue()) {
                        boolean groupBy = f.path("groupBy").asBoolean(f.path("group_by").asBoolean(false));
                        try {
                            filters.add(new TagFilter(f.path("type").asText(), f.path("tagk").asText(), f.path("filter").asText(), groupBy, false));
                        } catch (IllegalArgumentException e) {
                            throw new OpenTsdbApi.ApiException(400, "Unable to parse the given JSON", e.getMessage());
                        }
                    }
                }
            }
            Downsample downsample = q.hasNonNull("downsample") && !q.get("downsample").asText().isEmpty()
                    ? downsample(q.get("downsample").asText()) : null;
            JsonNode ro = q.get("rateOptions");
            RateOptions rateOptions = ro == null || ro.isNull() ? RateOptions.DEFAULT
                    : new RateOptions(ro.path("counter").asBoolean(false), ro.has("counterMax") ? ro.get("counterMax").asLong() : Long.MAX_VALUE,
                            ro.path("resetValue").asLong(0), ro.path("dropResets").asBoolean(false));
            String metric = q.path("metric").asText("");
            if (metric.isEmpty()) {
                throw new OpenTsdbApi.ApiException(400, "Missing the metric or tsuids, provide at least one", "");
            }
            subs.add(new SubQuery(aggregator(q.path("aggregator").asText(null)), metric, downsample, q.path("rate").asBoolean(false), rateOptions,
                    List.copyOf(filters), q.path("explicitTags").asBoolean(false)));
        }
        if (subs.isEmpty()) {
            throw new OpenTsdbApi.ApiException(400, "Missing queries", "");
        }
        return validated(body.path("start").asText(null), body.hasNonNull("end") ? body.get("end").asText() : null,
                body.path("msResolution").asBoolean(false), asOf(asOf), subs);
    }

    private static long asOf(String text) {
        return text == null || text.isEmpty() ? Long.MAX_VALUE : parseTime(text);
    }

    private static Query validated(String start, String end, boolean ms, long asOfMs, List<SubQuery> subs) {
        if (start == null || start.isEmpty()) {
            throw new OpenTsdbApi.ApiException(400, "Missing start time", "");
        }
        long startMs = parseTime(start);
        long endMs = end == null || end.isEmpty() ? System.currentTimeMillis() : parseTime(end);
        if (endMs <= startMs) {
            throw new OpenTsdbApi.ApiException(400, "End time [" + endMs + "] must be greater than the start time [" + startMs + "]", "");
        }
        return new Query(startMs, endMs, ms, asOfMs, subs);
    }

    /** {@code agg:[downsample:][rate[{...}]:]metric[{tags}][{filters}]}, as OpenTSDB's QueryRpc reads it. */
    static SubQuery parseM(String m) {
        String[] parts = m.split(":", -1);
        if (parts.length < 2 || parts.length > 5) {
            throw new OpenTsdbApi.ApiException(400, "Invalid parameter m=" + m + " (" + (parts.length < 2 ? "not enough" : "too many")
                    + " :-separated parts)", "");
        }
        Aggregator aggregator = aggregator(parts[0]);
        Downsample downsample = null;
        boolean rate = false;
        RateOptions rateOptions = RateOptions.DEFAULT;
        boolean explicit = false;
        for (int i = 1; i < parts.length - 1; i++) {
            String part = parts[i];
            if (part.isEmpty()) {
                throw new OpenTsdbApi.ApiException(500, "String index out of range: 0", "");
            }
            if (part.toLowerCase(Locale.ROOT).startsWith("rate")) {
                rate = true;
                if (part.contains("{")) {
                    rateOptions = rateOptions(part);
                }
            } else if (Character.isDigit(part.charAt(0))) {
                downsample = downsample(part);
            } else if (part.toLowerCase(Locale.ROOT).startsWith("explicit_tags")) {
                explicit = true;
            }
        }
        String expr = parts[parts.length - 1];
        int brace = expr.indexOf('{');
        String metric = brace < 0 ? expr : expr.substring(0, brace);
        List<TagFilter> filters = new ArrayList<>();
        if (brace >= 0) {
            int close = expr.indexOf('}');
            if (close < 0 || !expr.endsWith("}")) {
                throw new OpenTsdbApi.ApiException(500, "When parsing tag '" + expr + "': missing closing brace", "");
            }
            if (close != expr.length() - 1) {
                String second = expr.substring(expr.lastIndexOf('{') + 1, expr.length() - 1);
                tagItems(second).forEach((k, v) -> filters.add(filter(k, v, false)));
            }
            tagItems(expr.substring(brace + 1, close)).forEach((k, v) -> addFilter(filters, filter(k, v, true)));
        }
        return new SubQuery(aggregator, metric, downsample, rate, rateOptions, List.copyOf(filters), explicit);
    }

    private static TagFilter filter(String k, String v, boolean groupBy) {
        try {
            return TagFilter.fromTagValue(k, v, groupBy);
        } catch (IllegalArgumentException e) {
            throw new OpenTsdbApi.ApiException(500, "When parsing filter '" + k + "=" + v + "': " + e.getMessage(), "");
        }
    }

    /** A group-by tag's filter, or the group-by flag on an equal filter already given. */
    private static void addFilter(List<TagFilter> filters, TagFilter added) {
        for (int i = 0; i < filters.size(); i++) {
            TagFilter f = filters.get(i);
            if (f.type().equals(added.type()) && f.tagk().equals(added.tagk()) && f.filter().equals(added.filter())) {
                filters.set(i, f.withGroupBy());
                return;
            }
        }
        filters.add(added);
    }

    private static Map<String, String> tagItems(String text) {
        Map<String, String> tags = new LinkedHashMap<>();
        if (text.isEmpty()) {
            return tags;
        }
        for (String item : splitOutsideParentheses(text)) {
            int eq = item.indexOf('=');
            if (eq <= 0 || eq == item.length() - 1) {
                throw new OpenTsdbApi.ApiException(500, "When parsing tag '" + item + "': invalid tag: " + item, "");
            }
            if (tags.put(item.substring(0, eq), item.substring(eq + 1)) != null) {
                throw new OpenTsdbApi.ApiException(500, "When parsing tag '" + item + "': duplicate tag: " + item, "");
            }
        }
        return tags;
    }

    private static List<String> splitOutsideParentheses(String text) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int from = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(text.substring(from, i));
                from = i + 1;
            }
        }
        out.add(text.substring(from));
        return out;
    }

    private static Aggregator aggregator(String name) {
        if (name == null || name.isEmpty()) {
            throw new OpenTsdbApi.ApiException(400, "Missing the aggregation function", "");
        }
        try {
            return Aggregator.of(name);
        } catch (IllegalArgumentException e) {
            throw new OpenTsdbApi.ApiException(400, e.getMessage(), "");
        }
    }

    private static RateOptions rateOptions(String spec) {
        String inner = spec.substring(5, spec.length() - 1);
        String[] items = inner.split(",", -1);
        if (items.length < 1 || items.length > 3) {
            throw new OpenTsdbApi.ApiException(400, "Incorrect number of values in rate options specification, must be counter[,counter max value,reset value], recieved: "
                    + items.length + " parts", "");
        }
        boolean counter = items[0].endsWith("counter");
        boolean drop = items[0].equals("dropcounter");
        long max = Long.MAX_VALUE;
        long reset = 0;
        try {
            if (items.length > 1 && !items[1].isEmpty()) {
                max = Long.parseLong(items[1]);
            }
        } catch (NumberFormatException e) {
            throw new OpenTsdbApi.ApiException(400, "Max value of counter was not a number, received '" + items[1] + "'", "");
        }
        try {
            if (items.length > 2 && !items[2].isEmpty()) {
                reset = Long.parseLong(items[2]);
            }
        } catch (NumberFormatException e) {
            throw new OpenTsdbApi.ApiException(400, "Reset value of counter was not a number, received '" + items[2] + "'", "");
        }
        return new RateOptions(counter, max, reset, drop);
    }

    static Downsample downsample(String spec) {
        String[] parts = spec.split("-");
        if (parts.length < 2) {
            throw new OpenTsdbApi.ApiException(400, "Invalid downsampling specifier '" + spec + "': must provide at least interval and function", "");
        }
        if (parts.length > 3) {
            throw new OpenTsdbApi.ApiException(400, "Invalid downsampling specifier '" + spec
                    + "': must consist of interval, function, and optional fill policy", "");
        }
        long interval;
        if (parts[0].contains("all")) {
            interval = 0;
        } else if (parts[0].endsWith("c")) {
            throw new OpenTsdbApi.ApiException(400, "Calendar downsampling (" + parts[0] + ") is not served by rewind serve", "");
        } else {
            interval = parseDuration(parts[0]);
        }
        if (parts[1].equals("none")) {
            throw new OpenTsdbApi.ApiException(400, "cannot use the NONE aggregator for downsampling", "");
        }
        Aggregator function;
        try {
            function = Aggregator.of(parts[1]);
        } catch (IllegalArgumentException e) {
            throw new OpenTsdbApi.ApiException(400, "No such downsampling function: " + parts[1], "");
        }
        String fill = parts.length == 3 ? parts[2].toLowerCase(Locale.ROOT) : "none";
        if (!Set.of("none", "zero", "nan", "null").contains(fill)) {
            throw new OpenTsdbApi.ApiException(400, "Unrecognized fill policy: " + parts[2], "");
        }
        return new Downsample(interval, function, fill);
    }

    private static final Pattern DURATION = Pattern.compile("^(\\d+)(ms|s|m|h|d|w|n|y)$");

    static long parseDuration(String text) {
        Matcher m = DURATION.matcher(text.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new OpenTsdbApi.ApiException(400, "Invalid duration (number): " + text, "");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new OpenTsdbApi.ApiException(400, "Invalid duration (number): " + text, "");
        }
        if (n <= 0) {
            throw new OpenTsdbApi.ApiException(400, "Zero or negative duration: " + text, "");
        }
        long unit = switch (m.group(2)) {
            case "ms" -> 1L;
            case "s" -> 1_000L;
            case "m" -> 60_000L;
            case "h" -> 3_600_000L;
            case "d" -> 86_400_000L;
            case "w" -> 7 * 86_400_000L;
            case "n" -> 30 * 86_400_000L;
            default -> 365 * 86_400_000L;
        };
        try {
            return Math.multiplyExact(n, unit);
        } catch (ArithmeticException e) {
            throw new OpenTsdbApi.ApiException(400, "Invalid duration (too long): " + text, "");
        }
    }

    /** OpenTSDB's DateTime.parseDateTimeString, in UTC. */
    static long parseTime(String text) {
        String t = text.trim();
        if (t.matches("^[0-9]+ms$")) {
            return Long.parseLong(t.substring(0, t.length() - 2));
        }
        if (t.equalsIgnoreCase("now")) {
            return System.currentTimeMillis();
        }
        if (t.toLowerCase(Locale.ROOT).endsWith("-ago")) {
            return System.currentTimeMillis() - parseDuration(t.substring(0, t.length() - 4));
        }
        if (t.contains("/") || t.contains(":")) {
            String pattern = switch (t.length()) {
                case 10 -> "yyyy/MM/dd";
                case 16 -> t.contains("-") ? "yyyy/MM/dd-HH:mm" : "yyyy/MM/dd HH:mm";
                case 19 -> t.contains("-") ? "yyyy/MM/dd-HH:mm:ss" : "yyyy/MM/dd HH:mm:ss";
                default -> throw new OpenTsdbApi.ApiException(400, "Invalid absolute date: " + t, "");
            };
            SimpleDateFormat format = new SimpleDateFormat(pattern, Locale.ROOT);
            format.setTimeZone(TimeZone.getTimeZone("UTC"));
            try {
                return format.parse(t).getTime();
            } catch (ParseException e) {
                throw new OpenTsdbApi.ApiException(400, "Invalid date: " + t + ". " + e.getMessage(), "");
            }
        }
        String digits = t;
        if (t.contains(".")) {
            if (!t.matches("^[0-9]{10}\\.[0-9]{1,3}$")) {
                throw new OpenTsdbApi.ApiException(400, "Invalid time: " + t + ". Millisecond timestamps must be in the format "
                        + "<seconds>.<ms> where the milliseconds are limited to 3 digits", "");
            }
            digits = t.replace(".", "");
        }
        long value;
        try {
            value = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new OpenTsdbApi.ApiException(400, "Invalid time: " + t, "");
        }
        if (value < 0) {
            throw new OpenTsdbApi.ApiException(400, "Invalid time: " + t + ". Negative timestamps are not supported.", "");
        }
        return digits.length() <= 10 ? value * 1000 : value;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Execution

    /** One series as the pipeline carries it: timestamps in ms, each value a long or a double. */
    private static final class Points {
        final long[] t;
        final long[] lv;
        final double[] dv;
        final boolean[] isFloat;
        final int n;

        Points(long[] t, long[] lv, double[] dv, boolean[] isFloat, int n) {
            this.t = t;
            this.lv = lv;
            this.dv = dv;
            this.isFloat = isFloat;
            this.n = n;
        }

        double value(int i) {
            return isFloat[i] ? dv[i] : lv[i];
        }
    }

    private record Span(SortedMap<String, String> tags, Points points) {
    }

    private byte[] run(Query query) throws IOException, InterruptedException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator out = JSON_FACTORY.createGenerator(bytes)) {
            out.writeStartArray();
            for (SubQuery sub : query.queries()) {
                for (Group group : groups(query, sub)) {
                    write(out, query, sub, group);
                }
            }
            out.writeEndArray();
        }
        return bytes.toByteArray();
    }

    private record Group(String metric, List<Span> spans) {
    }

    private List<Group> groups(Query query, SubQuery sub) throws IOException, InterruptedException {
        // Names are checked against the catalog once it is read; before that, only when nothing is found.
        boolean checked = catalogs.loaded();
        if (checked) {
            refuseMissingNames(sub);
        }
        long interval = sub.downsample() == null ? 0 : sub.downsample().intervalMs();
        long[] scan = scanRange(query.startMs(), query.endMs(), interval);
        if (interval > 0 && (scan[1] - scan[0]) / interval > MAX_BUCKETS) {
            throw new OpenTsdbApi.ApiException(400, String.format("The downsampling makes %,d intervals of each series; rewind serve"
                    + " computes at most %,d: use a longer interval", (scan[1] - scan[0]) / interval, MAX_BUCKETS), "");
        }
        if (scan[1] - scan[0] > MAX_SCAN_MS) {
            throw new OpenTsdbApi.ApiException(400, String.format("The query reads %,d days of the archive; rewind serve reads at most %,d"
                    + " in one query", (scan[1] - scan[0]) / 86_400_000L, MAX_SCAN_MS / 86_400_000L), "");
        }
        List<Span> spans = new ArrayList<>();
        for (ArchiveSeries.Series s : archive.read(sub.metric(), scan[0], scan[1] - 1, query.asOfMs(), tags -> selected(tags, sub))) {
            spans.add(new Span(s.tags(), new Points(s.timestampsMs(), s.longs(), s.doubles(), s.floating(), s.size())));
        }
        if (spans.isEmpty() && !checked && catalogs.loaded()) {
            refuseMissingNames(sub); // read meanwhile: the names can be checked after all
        }
        spans.sort(SPAN_ORDER);
        List<Group> groups = new ArrayList<>();
        if (spans.isEmpty()) {
            return groups;
        }
        if (sub.aggregator() == Aggregator.NONE) {
            spans.forEach(s -> groups.add(new Group(sub.metric(), List.of(s))));
            return groups;
        }
        TreeSet<String> groupBys = new TreeSet<>();
        sub.filters().stream().filter(TagFilter::groupBy).forEach(f -> groupBys.add(f.tagk()));
        TreeMap<List<String>, List<Span>> byKey = new TreeMap<>(LIST_ORDER);
        for (Span span : spans) {
            List<String> key = new ArrayList<>();
            groupBys.forEach(k -> key.add(span.tags().get(k)));
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(span);
        }
        byKey.values().forEach(members -> groups.add(new Group(sub.metric(), members)));
        return groups;
    }

    /** Refuses, in OpenTSDB's words, a query naming what the archive has never held (read again first: archived since?). */
    private void refuseMissingNames(SubQuery sub) throws IOException, InterruptedException {
        String missing = missingName(catalogs.current(), sub);
        if (missing != null) {
            missing = missingName(catalogs.refreshed(), sub);
        }
        if (missing != null) {
            throw new OpenTsdbApi.ApiException(400, missing, missing);
        }
    }

    /** The first name of the query the archive has never held, in OpenTSDB's words, or null: the metric, a tag key, a literal value. */
    private static String missingName(SeriesCatalog catalog, SubQuery sub) {
        if (!catalog.hasMetric(sub.metric())) {
            return "No such name for 'metrics': '" + sub.metric() + "'";
        }
        for (TagFilter f : sub.filters()) {
            if (!catalog.hasTagKey(f.tagk())) {
                return "No such name for 'tagk': '" + f.tagk() + "'";
            }
            if (f.literal()) {
                for (String v : f.literals()) {
                    if (!catalog.hasTagValue(v)) {
                        return "No such name for 'tagv': '" + v + "'";
                    }
                }
            }
        }
        return null;
    }

    /** Whether the series is one the query's filters keep: every filter's tag present, literals by union, the others all true. */
    private static boolean selected(SortedMap<String, String> tags, SubQuery sub) {
        Map<String, Set<String>> literals = new HashMap<>();
        for (TagFilter f : sub.filters()) {
            if (!tags.containsKey(f.tagk())) {
                return false;
            }
            if (f.literal()) {
                literals.computeIfAbsent(f.tagk(), k -> new java.util.HashSet<>()).addAll(f.literals());
            }
        }
        for (Map.Entry<String, Set<String>> l : literals.entrySet()) {
            if (!l.getValue().contains(tags.get(l.getKey()))) {
                return false;
            }
        }
        for (TagFilter f : sub.filters()) {
            if (!f.literal() && !f.matches(tags)) {
                return false;
            }
        }
        if (sub.explicitTags()) {
            Set<String> keys = new TreeSet<>();
            sub.filters().forEach(f -> keys.add(f.tagk()));
            return keys.equals(tags.keySet());
        }
        return true;
    }

    private static final Comparator<List<String>> LIST_ORDER = (a, b) -> {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    };

    /** The row key's order without UIDs: tag keys, then values, by name. */
    private static final Comparator<Span> SPAN_ORDER = (a, b) -> {
        Iterator<Map.Entry<String, String>> x = a.tags().entrySet().iterator();
        Iterator<Map.Entry<String, String>> y = b.tags().entrySet().iterator();
        while (x.hasNext() && y.hasNext()) {
            Map.Entry<String, String> p = x.next();
            Map.Entry<String, String> q = y.next();
            int c = p.getKey().compareTo(q.getKey());
            if (c == 0) {
                c = p.getValue().compareTo(q.getValue());
            }
            if (c != 0) {
                return c;
            }
        }
        return Boolean.compare(x.hasNext(), y.hasNext());
    };

    /** The hours a TSD scans for the query, {@code [start, end)} in ms: TsdbQuery's scan start and end times. */
    static long[] scanRange(long startMs, long endMs, long intervalMs) {
        long s = startMs / 1000;
        if (intervalMs > 0) {
            s -= ((1000 * s) % intervalMs) / 1000;
        }
        long scanStart = Math.max(0, s - s % HOUR_S);
        long e = endMs / 1000 + 1;
        long scanEnd;
        if (intervalMs > 0) {
            long a = e + (intervalMs - (1000 * e) % intervalMs) / 1000;
            scanEnd = a % HOUR_S == 0 ? a : a + HOUR_S - a % HOUR_S;
        } else {
            scanEnd = e + (HOUR_S - e % HOUR_S);
        }
        return new long[] {scanStart * 1000, scanEnd * 1000};
    }

    /** Downsampled (and filled) over the scan range: bucket starts, always doubles. */
    private static Points downsample(Points p, Downsample ds, long scanStart, long scanEnd, long queryStart, long queryEnd) {
        if (ds.intervalMs() == 0) { // "all": one value over [query start, query end)
            double[] values = new double[p.n];
            int k = 0;
            for (int i = 0; i < p.n; i++) {
                if (p.t[i] >= queryStart && p.t[i] < queryEnd) {
                    values[k++] = p.value(i);
                }
            }
            if (k == 0) {
                return new Points(new long[0], new long[0], new double[0], new boolean[0], 0);
            }
            return new Points(new long[] {queryStart}, new long[1], new double[] {ds.function().runDouble(values, k)}, new boolean[] {true}, 1);
        }
        long interval = ds.intervalMs();
        TreeMap<Long, Double> buckets = new TreeMap<>();
        double[] values = new double[p.n];
        // OpenTSDB's Downsampler seeks to the first bucket that starts at or after the scan's start: points before it (an
        // interval that does not divide the hour) are not read.
        long firstBucket = Math.floorDiv(scanStart + interval - 1, interval) * interval;
        int from = 0;
        while (from < p.n && p.t[from] < firstBucket) {
            from++;
        }
        for (int i = from; i < p.n; ) {
            long bucket = p.t[i] - p.t[i] % interval;
            int k = 0;
            while (i < p.n && p.t[i] - p.t[i] % interval == bucket) {
                values[k++] = p.value(i++);
            }
            buckets.put(bucket, ds.function().runDouble(values, k));
        }
        List<long[]> out = new ArrayList<>();
        List<Double> outValues = new ArrayList<>();
        if (ds.fill().equals("none")) {
            buckets.forEach((b, v) -> {
                out.add(new long[] {b});
                outValues.add(v);
            });
        } else {
            double missing = ds.fill().equals("zero") ? 0.0 : Double.NaN;
            for (long b = firstBucket; b < scanEnd - scanEnd % interval; b += interval) { // filled from the first bucket read
                out.add(new long[] {b});
                outValues.add(buckets.getOrDefault(b, missing));
            }
        }
        int n = out.size();
        long[] t = new long[n];
        double[] dv = new double[n];
        boolean[] f = new boolean[n];
        for (int i = 0; i < n; i++) {
            t[i] = out.get(i)[0];
            dv[i] = outValues.get(i);
            f[i] = true;
        }
        return new Points(t, new long[n], dv, f, n);
    }

    /** RateSpan: the first rate measured against time zero, then each point against the one before (counter resets handled). */
    private static Points rate(Points p, RateOptions options) {
        long[] t = new long[p.n];
        double[] dv = new double[p.n];
        int k = 0;
        long t0 = 0;
        long l0 = 0;
        double d0 = 0;
        boolean f0 = false;
        for (int i = 0; i < p.n; i++) {
            long t1 = p.t[i];
            double dt = (t1 - t0) / 1000.0;
            boolean bothLong = !f0 && !p.isFloat[i];
            double diff = bothLong ? (double) (p.lv[i] - l0) : p.value(i) - (f0 ? d0 : l0);
            double rate;
            if (options.counter() && diff < 0) {
                if (options.dropResets()) {
                    t0 = t1;
                    l0 = p.lv[i];
                    d0 = p.dv[i];
                    f0 = p.isFloat[i];
                    continue;
                }
                diff = bothLong ? (double) (options.counterMax() - l0 + p.lv[i]) : options.counterMax() - (f0 ? d0 : l0) + p.value(i);
                rate = diff / dt;
                if (options.resetValue() > 0 && rate > options.resetValue()) {
                    rate = 0.0;
                }
            } else {
                rate = diff / dt;
            }
            t[k] = t1;
            dv[k++] = rate;
            t0 = t1;
            l0 = p.lv[i];
            d0 = p.dv[i];
            f0 = p.isFloat[i];
        }
        boolean[] f = new boolean[k];
        Arrays.fill(f, true);
        return new Points(Arrays.copyOf(t, k), new long[k], Arrays.copyOf(dv, k), f, k);
    }

    /** One output point: its timestamp and its value (long when {@code integer}). */
    private record Out(long t, boolean integer, long lv, double dv) {
    }

    /** The sorted union of the spans' timestamps (from each one's second point with rate: its first is never output). */
    private static long[] outputTimes(List<Points> spans, boolean rate) {
        int total = 0;
        for (Points p : spans) {
            total += p.n;
        }
        long[] all = new long[total];
        int k = 0;
        for (Points p : spans) {
            for (int i = rate ? 1 : 0; i < p.n; i++) {
                all[k++] = p.t[i];
            }
        }
        Arrays.sort(all, 0, k);
        int unique = 0;
        for (int i = 0; i < k; i++) {
            if (unique == 0 || all[i] != all[unique - 1]) {
                all[unique++] = all[i];
            }
        }
        return Arrays.copyOf(all, unique);
    }

    private static List<Out> aggregate(List<Points> spans, Aggregator agg, boolean rate) {
        long[] times = outputTimes(spans, rate);
        int n = spans.size();
        long[] longs = new long[n];
        double[] doubles = new double[n];
        int[] pos = new int[n]; // per span: index of its last point at or before T, -1 before its first
        Arrays.fill(pos, -1);
        List<Out> out = new ArrayList<>(times.length);
        for (long x : times) {
            for (int i = 0; i < n; i++) {
                Points p = spans.get(i);
                while (pos[i] + 1 < p.n && p.t[pos[i] + 1] <= x) {
                    pos[i]++;
                }
            }
            if (rate) {
                int k = 0;
                for (int i = 0; i < n; i++) {
                    Points p = spans.get(i);
                    if (p.n < 2 || x > p.t[p.n - 1]) {
                        continue;
                    }
                    doubles[k++] = p.dv[Math.max(0, pos[i])];
                }
                if (k > 0) {
                    out.add(new Out(x, false, 0, agg.runDouble(doubles, k)));
                }
                continue;
            }
            boolean integer = true;
            for (int i = 0; i < n; i++) {
                Points p = spans.get(i);
                if (p.n == 0 || x > p.t[p.n - 1]) {
                    continue; // ended: nothing in its slots
                }
                if (pos[i] < 0) {
                    integer &= !p.isFloat[0];
                } else {
                    integer &= !p.isFloat[pos[i]] && (pos[i] + 1 >= p.n || !p.isFloat[pos[i] + 1]);
                }
            }
            int k = 0;
            for (int i = 0; i < n; i++) {
                Points p = spans.get(i);
                if (p.n == 0 || pos[i] < 0 || x > p.t[p.n - 1]) {
                    continue; // not active: before its first point or after its last
                }
                int c = pos[i];
                if (p.t[c] == x) {
                    longs[k] = p.lv[c];
                    doubles[k++] = p.value(c);
                    continue;
                }
                long x0 = p.t[c];
                long x1 = p.t[c + 1];
                switch (agg.interpolation) {
                    case LERP -> {
                        if (integer) {
                            longs[k] = p.lv[c] + (x - x0) * (p.lv[c + 1] - p.lv[c]) / (x1 - x0);
                        }
                        double y0 = p.value(c);
                        double y1 = p.value(c + 1);
                        doubles[k] = y0 + ((double) (x - x0) * (y1 - y0)) / (double) (x1 - x0);
                    }
                    case ZIM -> {
                        longs[k] = 0;
                        doubles[k] = 0.0;
                    }
                    case MAX -> {
                        longs[k] = Long.MAX_VALUE;
                        doubles[k] = Double.MAX_VALUE;
                    }
                    case MIN -> {
                        longs[k] = Long.MIN_VALUE;
                        doubles[k] = -Double.MAX_VALUE;
                    }
                    case PREV -> {
                        longs[k] = p.lv[c];
                        doubles[k] = p.value(c);
                    }
                }
                k++;
            }
            if (k == 0) {
                continue;
            }
            out.add(integer ? new Out(x, true, agg.runLong(longs, k), 0) : new Out(x, false, 0, agg.runDouble(doubles, k)));
        }
        return out;
    }

    private void write(JsonGenerator out, Query query, SubQuery sub, Group group) throws IOException {
        long[] scan = scanRange(query.startMs(), query.endMs(), sub.downsample() == null ? 0 : sub.downsample().intervalMs());
        List<Points> pipelined = new ArrayList<>();
        for (Span span : group.spans()) {
            Points p = span.points();
            if (sub.downsample() != null) {
                p = downsample(p, sub.downsample(), scan[0], scan[1], query.startMs(), query.endMs());
            }
            if (sub.rate()) {
                p = rate(p, sub.rateOptions());
            }
            pipelined.add(p);
        }
        List<Out> points = aggregate(pipelined, sub.aggregator(), sub.rate());
        out.writeStartObject();
        out.writeStringField("metric", group.metric());
        Map<String, String> tags = new LinkedHashMap<>();
        TreeSet<String> aggregated = new TreeSet<>();
        for (Span span : group.spans()) {
            span.tags().forEach((k, v) -> {
                if (aggregated.contains(k)) {
                    return;
                }
                String seen = tags.get(k);
                if (seen == null) {
                    tags.put(k, v);
                } else if (!seen.equals(v)) {
                    tags.remove(k);
                    aggregated.add(k);
                }
            });
        }
        Map<String, String> hashOrdered = new HashMap<>();
        hashOrdered.putAll(tags); // a TSD writes its tags from a HashMap: the same order
        out.writeObjectFieldStart("tags");
        for (Map.Entry<String, String> t : hashOrdered.entrySet()) {
            out.writeStringField(t.getKey(), t.getValue());
        }
        out.writeEndObject();
        out.writeArrayFieldStart("aggregateTags");
        for (String k : aggregated) {
            out.writeString(k);
        }
        out.writeEndArray();
        out.writeObjectFieldStart("dps");
        boolean nullFill = sub.downsample() != null && sub.downsample().fill().equals("null");
        for (Out p : points) {
            if (p.t() < query.startMs() || p.t() > query.endMs()) {
                continue;
            }
            out.writeFieldName(Long.toString(query.msResolution() ? p.t() : p.t() / 1000));
            if (p.integer()) {
                out.writeNumber(p.lv());
            } else if (Double.isNaN(p.dv()) && nullFill) {
                out.writeNull();
            } else {
                out.writeNumber(p.dv());
            }
        }
        out.writeEndObject();
        out.writeEndObject();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Lookup

    /** {@code /api/search/lookup}: the archive's series of a metric (any with {@code *}) whose tags match, one result each. */
    JsonNode lookup(JsonNode body, Map<String, List<String>> params) throws IOException {
        String metric;
        List<Map.Entry<String, String>> tags = new ArrayList<>();
        int limit;
        if (body != null) {
            metric = body.path("metric").asText("*");
            for (JsonNode t : body.path("tags")) {
                tags.add(Map.entry(t.path("key").asText("*"), t.path("value").asText("*")));
            }
            limit = body.path("limit").asInt(25);
        } else {
            String m = ServeServer.first(params, "m");
            if (m == null || m.isEmpty()) {
                throw new OpenTsdbApi.ApiException(400, "Missing metric and tags. Please supply at least one value.", "");
            }
            int brace = m.indexOf('{');
            metric = brace < 0 ? m : m.substring(0, brace);
            if (brace >= 0 && m.endsWith("}")) {
                tagItems(m.substring(brace + 1, m.length() - 1)).forEach((k, v) -> tags.add(Map.entry(k, v)));
            }
            String l = ServeServer.first(params, "limit");
            limit = l == null ? 25 : Integer.parseInt(l);
        }
        SeriesCatalog catalog = catalogs.current(); // while the first reading runs, what it has read so far
        ArrayNode results = ServeServer.JSON.createArrayNode();
        int total = 0;
        for (Map.Entry<String, TreeSet<io.rewind.schema.SeriesKey>> byMetric : catalog.series().entrySet()) {
            if (!metric.isEmpty() && !metric.equals("*") && !metric.equals(byMetric.getKey())) {
                continue;
            }
            for (io.rewind.schema.SeriesKey key : byMetric.getValue()) {
                SortedMap<String, String> seriesTags = key.tags();
                if (lookupMatches(seriesTags, tags)) {
                    total++;
                    if (results.size() < limit) {
                        ObjectNode r = results.addObject();
                        r.put("tsuid", java.util.HexFormat.of().withUpperCase().formatHex(key.toBytes()));
                        r.put("metric", key.metric());
                        ObjectNode t = r.putObject("tags");
                        seriesTags.forEach(t::put);
                    }
                }
            }
        }
        ObjectNode root = ServeServer.JSON.createObjectNode();
        root.put("type", "LOOKUP").put("metric", metric);
        ArrayNode tagArray = root.putArray("tags");
        tags.forEach(t -> tagArray.addObject().put("key", t.getKey()).put("value", t.getValue()));
        root.put("limit", limit).put("time", 0.0);
        root.set("results", results);
        root.put("startIndex", 0).put("totalResults", total);
        return root;
    }

    private static boolean lookupMatches(Map<String, String> series, List<Map.Entry<String, String>> wanted) {
        Map<String, List<String>> byKey = new LinkedHashMap<>();
        for (Map.Entry<String, String> w : wanted) {
            byKey.computeIfAbsent(w.getKey(), k -> new ArrayList<>()).add(w.getValue());
        }
        for (Map.Entry<String, List<String>> w : byKey.entrySet()) {
            boolean any = false;
            for (String value : w.getValue()) {
                if (w.getKey().equals("*")) {
                    any |= series.containsValue(value);
                } else if (series.containsKey(w.getKey())) {
                    any |= value.equals("*") || value.equals(series.get(w.getKey()));
                }
            }
            if (!any) {
                return false;
            }
        }
        return true;
    }
}
