package dev.shardvault.vault.custody;

import dev.shardvault.vault.model.Sha256;
import dev.shardvault.vault.model.Times;
import jakarta.json.Json;
import jakarta.json.JsonBuilderFactory;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * One secret's timeline as the API answers it: the union of what the answering nodes hold, one event per id,
 * ordered by time then id, each carrying {@code prevHash} (the previous event's {@code hash}, 64 zeros for the
 * first) and {@code hash} = lowercase hex SHA-256 of the RFC 8785 canonical JSON of every other member.
 */
public final class Timeline {

    private static final JsonBuilderFactory JSON = Json.createBuilderFactory(Map.of());
    static final String GENESIS = "0".repeat(64);
    private static final Comparator<Event> ORDER = Comparator.comparingLong(Event::atMillis).thenComparing(Event::id);

    private final List<JsonObject> events;
    private final List<EventId> ids;

    private Timeline(List<JsonObject> events, List<EventId> ids) {
        this.events = events;
        this.ids = ids;
    }

    /**
     * Merges what several nodes hold. Two nodes may hold different events under one id only when a request failed
     * over between them (one recorded a failure, the next a success): the better outcome wins, then the earlier.
     */
    public static Timeline merge(List<List<Event>> held) {
        Map<EventId, Event> byId = new HashMap<>();
        for (List<Event> events : held) {
            for (Event event : events) {
                byId.merge(event.id(), event, Timeline::preferred);
            }
        }
        List<Event> ordered = new ArrayList<>(byId.values());
        ordered.sort(ORDER);
        List<JsonObject> chained = new ArrayList<>(ordered.size());
        List<EventId> ids = new ArrayList<>(ordered.size());
        String previous = GENESIS;
        for (Event event : ordered) {
            JsonObject body = body(event, previous);
            String hash = HexFormat.of().formatHex(Sha256.digest(Jcs.canonical(body).getBytes(StandardCharsets.UTF_8)));
            chained.add(JSON.createObjectBuilder(body).add("hash", hash).build());
            ids.add(event.id());
            previous = hash;
        }
        return new Timeline(chained, ids);
    }

    private static Event preferred(Event a, Event b) {
        if (a.outcome() != b.outcome()) {
            return a.outcome().ordinal() <= b.outcome().ordinal() ? a : b;
        }
        return ORDER.compare(a, b) <= 0 ? a : b;
    }

    /** Every member but {@code hash}. */
    private static JsonObject body(Event event, String prevHash) {
        JsonObjectBuilder body = JSON.createObjectBuilder()
                .add("id", event.id().hex())
                .add("parent", event.parent() == null ? JsonValue.NULL : Json.createValue(event.parent().hex()))
                .add("at", Times.format(event.atMillis()))
                .add("action", event.action().wireName())
                .add("actor", JSON.createObjectBuilder().add("token", event.actor().token())
                        .add("label", event.actor().label()).add("class", event.actor().actorClass()))
                .add("version", event.version() < 0 ? JsonValue.NULL : Json.createValue(event.version()))
                .add("outcome", event.outcome().wireName())
                .add("prevHash", prevHash);
        if (!event.reason().isEmpty()) {
            body.add("reason", event.reason());
        }
        return body.build();
    }

    public boolean isEmpty() {
        return events.isEmpty();
    }

    public int size() {
        return events.size();
    }

    /** Index of the event after {@code after} (0 for null), or -1 if {@code after} is not in this timeline. */
    public int startAfter(EventId after) {
        if (after == null) {
            return 0;
        }
        int index = ids.indexOf(after);
        return index < 0 ? -1 : index + 1;
    }

    public List<JsonObject> page(int from, int limit) {
        return events.subList(from, Math.min(events.size(), from + limit));
    }

    public EventId idAt(int index) {
        return ids.get(index);
    }
}
