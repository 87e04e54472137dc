package dev.shardvault.vault.custody;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shardvault.vault.model.SecretId;
import jakarta.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Merging what several nodes hold: one event per id, the better outcome of a fail-over, time order, a chain. */
class TimelineTest {

    private static final SecretId S = new SecretId("default", "S");
    private static final Event.Actor BOB = new Event.Actor("tok_bbbbbbbbbbbbbbbbbbbb", "bob", "machine");

    private static Event event(int request, long at, Event.Outcome outcome) {
        byte[] id = new byte[16];
        id[15] = (byte) request;
        return new Event(S, EventId.ofRequest(id, S, "read"), null, at, Event.Action.READ, BOB, -1, outcome, "");
    }

    @Test
    void oneEventPerIdTheBetterOutcomeWinsAndTimeOrdersThem() {
        Event late = event(1, 3_000, Event.Outcome.OK);
        Event failedOnOne = event(2, 2_000, Event.Outcome.FAILED);
        Event okOnTwo = event(2, 2_000, Event.Outcome.OK);
        Event early = event(3, 1_000, Event.Outcome.REFUSED);
        Timeline timeline = Timeline.merge(List.of(List.of(late, failedOnOne), List.of(okOnTwo, early, late), List.of()));
        List<JsonObject> events = timeline.page(0, 10);
        assertEquals(3, events.size());
        assertEquals(List.of(early.id().hex(), okOnTwo.id().hex(), late.id().hex()),
                     events.stream().map(e -> e.getString("id")).toList());
        assertEquals("ok", events.get(1).getString("outcome"), "a fail-over that succeeded is not a failure");
        assertEquals(Timeline.GENESIS, events.get(0).getString("prevHash"));
        assertEquals(events.get(0).getString("hash"), events.get(1).getString("prevHash"));
        assertEquals(events.get(1).getString("hash"), events.get(2).getString("prevHash"));
        assertEquals(1, timeline.startAfter(early.id()));
        assertEquals(-1, timeline.startAfter(EventId.ofVersion(S, 1, 1)));
        assertEquals(Timeline.merge(List.of(List.of(early, late, okOnTwo))).page(0, 10), events,
                     "the same events give the same chain whoever held them");
    }
}
