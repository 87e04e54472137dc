package dev.shardvault.gateway.http;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** The gateway's clock, the source of every requestTime, and RFC 3339 parsing of client times. */
final class Clock {

    private static final DateTimeFormatter MILLIS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private Clock() {
    }

    /** {@code millis} since the epoch, RFC 3339 UTC with milliseconds. */
    static String format(long millis) {
        return MILLIS.format(Instant.ofEpochMilli(millis));
    }

    static boolean isRfc3339(String text) {
        try {
            OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
