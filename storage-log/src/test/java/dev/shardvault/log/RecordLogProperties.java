package dev.shardvault.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class RecordLogProperties {

    @Provide
    Arbitrary<LogRecord> records() {
        return Combinators.combine(Arbitraries.of(RecordType.class),
                                   Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(700))
                .as(LogRecord::new);
    }

    @Property(tries = 40)
    void anySequenceOfRecordsReplaysExactlyAcrossReopensAndRolls(
            @ForAll @Size(max = 300) List<@From("records") LogRecord> records,
            @ForAll @IntRange(min = 1, max = 4) int reopenEvery,
            @ForAll @IntRange(min = 2, max = 16) int segmentKiB,
            @ForAll boolean preallocate) throws IOException {
        LogOptions options = LogOptions.defaults()
                .withMaxRecordBytes(1024)
                .withSegmentBytes(segmentKiB << 10)
                .withMaxBatchBytes(4096)
                .withPreallocate(preallocate);
        Path dir = Files.createTempDirectory("log-property");
        try {
            int chunk = Math.max(1, records.size() / reopenEvery);
            for (int from = 0; from < records.size(); from += chunk) {
                try (RecordLog log = RecordLog.open(dir, options, r -> { })) {
                    for (LogRecord record : records.subList(from, Math.min(records.size(), from + chunk))) {
                        log.append(record);
                    }
                }
            }
            assertEquals(records, Logs.replay(dir, options));
        } finally {
            delete(dir);
        }
    }

    @Property(tries = 30)
    void erasingAnySubsetLeavesExactlyTheComplement(
            @ForAll @Size(min = 1, max = 200) List<@From("records") LogRecord> records,
            @ForAll long seed) throws IOException {
        LogOptions options = LogOptions.defaults().withMaxRecordBytes(1024).withSegmentBytes(4 << 10)
                .withPreallocate(false);
        Path dir = Files.createTempDirectory("log-erasure-property");
        try {
            List<LogRecord> tagged = new ArrayList<>();
            java.util.Random random = new java.util.Random(seed);
            List<LogRecord> kept = new ArrayList<>();
            try (RecordLog log = RecordLog.open(dir, options, r -> { })) {
                for (LogRecord record : records) {
                    byte[] payload = new byte[record.payloadLength() + 1];
                    payload[0] = (byte) (random.nextBoolean() ? 1 : 0);
                    System.arraycopy(record.payload(), 0, payload, 1, record.payloadLength());
                    LogRecord withTag = new LogRecord(record.type(), payload);
                    tagged.add(withTag);
                    if (payload[0] == 0) {
                        kept.add(withTag);
                    }
                    log.append(withTag);
                }
                log.erase(r -> r.payloadBuffer().get(0) == 1);
            }
            assertEquals(kept, Logs.replay(dir, options));
        } finally {
            delete(dir);
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
