package dev.shardvault.vault.model;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** RFC 3339 UTC timestamps with millisecond precision, as the API writes them. */
public final class Times {

    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private Times() {
    }

    public static String format(long epochMillis) {
        return FORMAT.format(Instant.ofEpochMilli(epochMillis));
    }

    /** Parses an RFC 3339 timestamp with any offset; throws IllegalArgumentException naming the input. */
    public static long parse(String text) {
        long exact = parseExact(text);
        if (exact != NOT_EXACT) {
            return exact;
        }
        try {
            return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant().toEpochMilli();
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new IllegalArgumentException("not an RFC 3339 timestamp: " + text);
        }
    }

    private static final long NOT_EXACT = Long.MIN_VALUE;

    /**
     * The shape {@link #format} writes ({@code uuuu-MM-ddTHH:mm:ss.SSSZ}, what the gateway stamps on every
     * write) without the general parser; {@link #NOT_EXACT} for anything else, which the general parser then
     * accepts or rejects.
     */
    private static long parseExact(String text) {
        if (text.length() != 24 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T'
            || text.charAt(13) != ':' || text.charAt(16) != ':' || text.charAt(19) != '.' || text.charAt(23) != 'Z') {
            return NOT_EXACT;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 2);
        int day = digits(text, 8, 2);
        int hour = digits(text, 11, 2);
        int minute = digits(text, 14, 2);
        int second = digits(text, 17, 2);
        int millis = digits(text, 20, 3);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > YearMonth.of(year, month).lengthOfMonth()
            || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || millis < 0) {
            return NOT_EXACT;
        }
        long days = LocalDate.of(year, month, day).toEpochDay();
        return ((days * 24 + hour) * 60 + minute) * 60_000L + second * 1_000L + millis;
    }

    /** The decimal number in {@code text[from, from + count)}, or -1 if any character is not a digit. */
    private static int digits(String text, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
