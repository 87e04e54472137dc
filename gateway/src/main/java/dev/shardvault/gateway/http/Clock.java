package dev.shardvault.gateway.http;

import dev.shardvault.gateway.problem.Problem;
import dev.shardvault.gateway.problem.ProblemException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/** The gateway's clock, the source of every requestTime, and RFC 3339 parsing of client times. */
final class Clock {

    private static final DateTimeFormatter MILLIS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private static final Pattern UNENCODED_PLUS = Pattern.compile(".*T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)? \\d{2}:\\d{2}");

    /**
     * A fault-injection knob for tests of clock skew between gateways ({@code -Dshardvault.fault.clock-offset-millis},
     * 0 when unset): this gateway's clock reads that much ahead (or, negative, behind) the host's.
     */
    private static final long OFFSET_MILLIS = Long.getLong("shardvault.fault.clock-offset-millis", 0L);

    private Clock() {
    }

    /** Now, in milliseconds since the epoch: what requestTime stamps and token expiry are measured on. */
    static long now() {
        return System.currentTimeMillis() + OFFSET_MILLIS;
    }

    /** {@code millis} since the epoch, RFC 3339 UTC with milliseconds. */
    static String format(long millis) {
        return MILLIS.format(Instant.ofEpochMilli(millis));
    }

    /**
     * A client's instant from a query parameter, RFC 3339 with an offset. An unencoded {@code +} before the offset
     * arrives as a space (form decoding), which is what {@code curl "...?at=2026-12-03T07:40:00+01:00"} sends; that
     * space is read as the {@code +} it was. Anything else that does not parse is a 400 naming {@code field}.
     */
    static String queryInstant(String field, String text) {
        String repaired = UNENCODED_PLUS.matcher(text).matches() ? text.substring(0, text.length() - 6) + "+" + text.substring(text.length() - 5)
                                                                 : text;
        try {
            OffsetDateTime.parse(repaired, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            return repaired;
        } catch (DateTimeParseException e) {
            throw new ProblemException(Problem.invalid(
                    field, "must be an RFC 3339 timestamp with an offset, such as 2026-12-03T07:40:00Z or 2026-12-03T08:40:00%2B01:00"));
        }
    }
}
