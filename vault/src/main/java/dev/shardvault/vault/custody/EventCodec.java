package dev.shardvault.vault.custody;

import dev.shardvault.vault.codec.BinaryReader;
import dev.shardvault.vault.codec.BinaryWriter;
import dev.shardvault.vault.codec.DomainCodec;
import dev.shardvault.vault.codec.MalformedException;
import dev.shardvault.vault.model.SecretId;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of a {@link Stamped} event, the same in the log (docs/storage-records.md, EVENT) and between
 * nodes: {@code node i32 | epoch i64 | seq i64 | namespace str | name str | id 16 | parent u8 (0 none, 1) [16] |
 * atMillis i64 | action u8 | token str | label str | class str | version i64 | outcome u8 | reason str}.
 * Every length is bounded.
 */
public final class EventCodec {

    static final int MAX_TOKEN_BYTES = 128;
    static final int MAX_LABEL_BYTES = 2048;
    static final int MAX_CLASS_BYTES = 16;
    static final int MAX_REASON_BYTES = 4 * Event.MAX_REASON_CHARS;
    /** Events in one batch between nodes. */
    public static final int MAX_BATCH = 10_000;

    private EventCodec() {
    }

    public static void write(BinaryWriter out, Stamped stamped) {
        out.i32(stamped.stream().node()).i64(stamped.stream().epoch()).i64(stamped.seq());
        writeEvent(out, stamped.event());
    }

    static void writeEvent(BinaryWriter out, Event event) {
        DomainCodec.writeId(out, event.secret());
        out.i64(event.id().high()).i64(event.id().low());
        if (event.parent() == null) {
            out.u8(0);
        } else {
            out.u8(1).i64(event.parent().high()).i64(event.parent().low());
        }
        out.i64(event.atMillis()).u8(event.action().ordinal() + 1);
        out.string(event.actor().token()).string(event.actor().label()).string(event.actor().actorClass());
        out.i64(event.version()).u8(event.outcome().ordinal() + 1).string(event.reason());
    }

    public static Stamped read(BinaryReader in) {
        Stamped.Stream stream = new Stamped.Stream(in.i32(), in.i64());
        long seq = in.i64();
        if (seq < 1) {
            throw new MalformedException("event sequence " + seq);
        }
        return new Stamped(stream, seq, readEvent(in));
    }

    static Event readEvent(BinaryReader in) {
        SecretId secret = DomainCodec.readId(in);
        EventId id = new EventId(in.i64(), in.i64());
        EventId parent = switch (in.u8()) {
            case 0 -> null;
            case 1 -> new EventId(in.i64(), in.i64());
            default -> throw new MalformedException("event parent flag");
        };
        long at = in.i64();
        Event.Action action = enumAt(Event.Action.values(), in.u8(), "action");
        Event.Actor actor = new Event.Actor(in.string(MAX_TOKEN_BYTES), in.string(MAX_LABEL_BYTES), in.string(MAX_CLASS_BYTES));
        long version = in.i64();
        Event.Outcome outcome = enumAt(Event.Outcome.values(), in.u8(), "outcome");
        String reason = in.string(MAX_REASON_BYTES);
        return new Event(secret, id, parent, at, action, actor, version, outcome, reason);
    }

    public static byte[] encode(Stamped stamped) {
        BinaryWriter out = new BinaryWriter(160);
        write(out, stamped);
        return out.toByteArray();
    }

    /** A batch between nodes: {@code count u32 | event*}. */
    public static byte[] encodeAll(List<Stamped> events) {
        BinaryWriter out = new BinaryWriter(64 + 160 * events.size());
        out.i32(events.size());
        events.forEach(event -> write(out, event));
        return out.toByteArray();
    }

    public static List<Stamped> decodeAll(BinaryReader in) {
        int count = in.count(MAX_BATCH, 40);
        List<Stamped> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            events.add(read(in));
        }
        return events;
    }

    /** How many events of each stream a node holds: {@code count u32 | (node i32, epoch i64, count i64)*}. */
    public static byte[] encodeCounts(java.util.Map<Stamped.Stream, Long> counts) {
        BinaryWriter out = new BinaryWriter(8 + 20 * counts.size());
        out.i32(counts.size());
        counts.forEach((stream, count) -> out.i32(stream.node()).i64(stream.epoch()).i64(count));
        return out.toByteArray();
    }

    public static java.util.Map<Stamped.Stream, Long> decodeCounts(BinaryReader in) {
        int size = in.count(1 << 20, 20);
        java.util.Map<Stamped.Stream, Long> counts = new java.util.HashMap<>();
        for (int i = 0; i < size; i++) {
            counts.put(new Stamped.Stream(in.i32(), in.i64()), in.i64());
        }
        return counts;
    }

    /** One node's events of one secret: {@code broken u8 | count u32 | event*}. */
    public static byte[] encodeHeld(Custody.Held held) {
        BinaryWriter out = new BinaryWriter(16 + 140 * held.events().size());
        out.bool(held.broken()).i32(held.events().size());
        held.events().forEach(event -> writeEvent(out, event));
        return out.toByteArray();
    }

    public static Custody.Held decodeHeld(BinaryReader in) {
        boolean broken = in.bool();
        int count = in.count(1 << 24, 40);
        List<Event> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            events.add(readEvent(in));
        }
        return new Custody.Held(broken, events);
    }

    private static <E> E enumAt(E[] values, int code, String what) {
        if (code < 1 || code > values.length) {
            throw new MalformedException("unknown event " + what + " " + code);
        }
        return values[code - 1];
    }
}
