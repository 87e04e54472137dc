package dev.shardvault.vault.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** The fast path for the gateway's own timestamp shape agrees with the general RFC 3339 parser. */
class TimesTest {

    @Property(tries = 3000)
    void whatFormatWritesParsesBack(@ForAll @LongRange(min = -62_135_596_800_000L, max = 253_402_300_799_999L) long millis) {
        assertEquals(millis, Times.parse(Times.format(millis)));
    }

    /** Every field in and out of range, in the exact shape: same instant as the general parser, or both refuse. */
    @Property(tries = 5000)
    void fieldsOutOfRangeAreJudgedLikeTheGeneralParser(@ForAll @IntRange(min = 0, max = 9999) int year,
                                                       @ForAll @IntRange(min = 0, max = 13) int month,
                                                       @ForAll @IntRange(min = 0, max = 32) int day,
                                                       @ForAll @IntRange(min = 0, max = 25) int hour,
                                                       @ForAll @IntRange(min = 0, max = 61) int minute,
                                                       @ForAll @IntRange(min = 0, max = 61) int second,
                                                       @ForAll @IntRange(min = 0, max = 999) int millis) {
        String text = "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ".formatted(year, month, day, hour, minute, second, millis);
        Long general;
        try {
            general = OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant().toEpochMilli();
        } catch (RuntimeException e) {
            general = null;
        }
        if (general == null) {
            assertThrows(IllegalArgumentException.class, () -> Times.parse(text), text);
        } else {
            assertEquals(general, Times.parse(text), text);
        }
    }

    @Test
    void otherShapesStillParseOrFail() {
        assertEquals(Times.parse("2026-11-23T08:00:00.123Z"), Times.parse("2026-11-23T09:00:00.123+01:00"));
        assertEquals(Times.parse("2026-11-23T08:00:00.000Z"), Times.parse("2026-11-23T08:00:00Z"));
        assertThrows(IllegalArgumentException.class, () -> Times.parse("2026-11-23T08:00:00.12xZ"));
        assertThrows(IllegalArgumentException.class, () -> Times.parse("2026-02-29T08:00:00.000Z"));
        assertThrows(IllegalArgumentException.class, () -> Times.parse("not a time"));
    }
}
