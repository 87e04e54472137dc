package dev.shardvault.vault.custody;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.log.LogOptions;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.store.ShardStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's custody events in its real log: replayed as recorded, streams without gaps, shipping by counts. */
class CustodyTest {

    private static final SecretId A = new SecretId("default", "A");
    private static final SecretId B = new SecretId("default", "B");
    private static final Event.Actor ALICE = new Event.Actor("tok_aaaaaaaaaaaaaaaaaaaa", "alice", "human");

    @TempDir
    Path dir;

    private static Event read(SecretId secret, int n) {
        byte[] request = new byte[16];
        request[0] = (byte) n;
        return new Event(secret, EventId.ofRequest(request, secret, "read"), EventId.ofVersion(secret, 1, 1), 1_000L + n,
                         Event.Action.READ, ALICE, 1, Event.Outcome.OK, "");
    }

    private record Node(Custody custody, ShardStore store) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            store.close();
        }
    }

    private Node open(Path data, int id) throws Exception {
        Custody custody = new Custody(id);
        ShardStore store = ShardStore.open(id, data, LogOptions.defaults().withMaxRecordBytes(1 << 20).withSegmentBytes(2 << 20), e -> { }, s -> { },
                                           custody::replay);
        custody.logTo(store::appendEvent);
        return new Node(custody, store);
    }

    @Test
    void eventsComeBackFromTheLogInTheOrderRecordedWithTheirStreamsIntact() throws Exception {
        List<Event> recorded = new ArrayList<>();
        Map<Stamped.Stream, Long> counts;
        try (Node node = open(dir.resolve("n1"), 1)) {
            for (int i = 0; i < 50; i++) {
                Event event = read(i % 2 == 0 ? A : B, i);
                recorded.add(event);
                node.custody().record(List.of(event)).get();
            }
            counts = node.custody().counts();
            assertEquals(Map.of(node.custody().ownStream(), 50L), counts);
        }
        try (Node again = open(dir.resolve("n1"), 1)) {
            assertEquals(recorded.stream().filter(e -> e.secret().equals(A)).toList(), again.custody().held(A).events());
            assertEquals(recorded.stream().filter(e -> e.secret().equals(B)).toList(), again.custody().held(B).events());
            assertFalse(again.custody().held(A).broken());
            assertEquals(0, again.custody().brokenChains());
            assertEquals(counts, again.custody().counts(), "the earlier run's stream, whole");
            assertTrue(again.custody().knows(A));
            assertFalse(again.custody().knows(new SecretId("default", "C")));
        }
    }

    @Test
    void aPeerTakesOnlyTheNextEventOfEachStreamAndShipsWhatAnotherLacks() throws Exception {
        try (Node one = open(dir.resolve("n1"), 1); Node two = open(dir.resolve("n2"), 2)) {
            for (int i = 0; i < 10; i++) {
                one.custody().record(List.of(read(A, i))).get();
            }
            List<Stamped> all = one.custody().missing(Map.of(), s -> true, 100);
            assertEquals(10, all.size());
            // A gap is not taken: events 6..10 wait until 1..5 are there.
            two.custody().accept(all.subList(5, 10)).get();
            assertEquals(Map.of(), two.custody().counts());
            two.custody().accept(all.subList(0, 7)).get();
            assertEquals(7L, two.custody().counts().get(one.custody().ownStream()));
            two.custody().accept(all).get(); // duplicates are ignored
            assertEquals(10L, two.custody().counts().get(one.custody().ownStream()));
            assertEquals(one.custody().held(A).events(), two.custody().held(A).events());
            assertEquals(List.of(), one.custody().missing(two.custody().counts(), s -> true, 100), "nothing left to ship");
            assertEquals(3, one.custody().missing(Map.of(one.custody().ownStream(), 7L), s -> true, 100).size());
            assertEquals(2, one.custody().missing(Map.of(), s -> true, 2).size(), "batches are bounded");
            // A node never takes its own stream back from a peer.
            one.custody().accept(two.custody().missing(Map.of(), s -> true, 100)).get();
            assertEquals(10, one.custody().held(A).events().size());
        }
    }
}
