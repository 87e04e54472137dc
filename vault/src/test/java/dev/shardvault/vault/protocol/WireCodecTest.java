package dev.shardvault.vault.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.shardvault.log.LogRecord;
import dev.shardvault.log.RecordType;
import dev.shardvault.vault.codec.MalformedException;
import dev.shardvault.vault.model.Op;
import dev.shardvault.vault.model.Outcome;
import dev.shardvault.vault.model.RequestId;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.protocol.Messages.PrepareRequest;
import dev.shardvault.vault.store.Journal;
import dev.shardvault.vault.store.PrepareResult;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShardStore;
import dev.shardvault.vault.store.ShareState;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class WireCodecTest {

    private static final SecretId ID = new SecretId("default", "DB_PASSWORD");
    private static final TxnId TXN = TxnId.newAttempt(RequestId.random());

    @Test
    void everyMessageRoundTrips() {
        PrepareRequest prepare = new PrepareRequest(TXN, 3, List.of(new Op.Put(ID, Op.Put.Kind.UPDATE, 7, new byte[] {1, 2, 3})));
        assertEquals(prepare, WireCodec.prepareRequest(WireCodec.prepareRequest(prepare)));
        for (PrepareResult result : List.of(
                new PrepareResult.Voted(List.of(SecretView.ABSENT, new SecretView.Live(2, 5, 99), new SecretView.Deleted(1, 7))),
                new PrepareResult.Locked(ID),
                new PrepareResult.RequestCommitted(new Journal.Committed(TXN, List.of(new Outcome.Applied(ID, 1, 2, 3)))))) {
            assertEquals(result, WireCodec.prepareResult(WireCodec.prepareResult(result)));
        }
        ShareState state = new ShareState(new SecretView.Live(1, 4, 10), 3, 8, 10, new byte[] {5, 6}, true);
        ShareState decoded = WireCodec.shareState(WireCodec.shareState(state));
        assertEquals(state.view(), decoded.view());
        assertArrayEquals(state.share(), decoded.share());
        assertEquals(state.inDoubt(), decoded.inDoubt());
        WireCodec.ReadRequest read = WireCodec.readRequest(WireCodec.readRequest(ID, new Selector.AsOf(1234), new byte[] {7, 8}));
        assertEquals(ID, read.id());
        assertEquals(new Selector.AsOf(1234), read.selector());
        assertArrayEquals(new byte[] {7, 8}, read.authorization());
        assertEquals(TXN, TxnId.parse(TXN.toString()));
        assertEquals(new WireCodec.ChangesRequest(-5, 17, 500), WireCodec.changesRequest(WireCodec.changesRequest(-5, 17, 500)));
        ShardStore.Changes changes = new ShardStore.Changes(-5, 19, true, List.of(
                Map.entry(ID, (SecretView) new SecretView.Live(1, 2, 3)),
                Map.entry(new SecretId("team-a", "OTHER"), (SecretView) new SecretView.Deleted(2, 9))));
        assertEquals(changes, WireCodec.changesReply(WireCodec.changesReply(changes)));
        assertEquals(new ShardStore.Changes(7, 0, false, List.of()),
                     WireCodec.changesReply(WireCodec.changesReply(new ShardStore.Changes(7, 0, false, List.of()))));
        assertThrows(MalformedException.class, () -> WireCodec.changesRequest(WireCodec.changesRequest(1, -1, 5)));
        assertThrows(MalformedException.class, () -> WireCodec.changesRequest(WireCodec.changesRequest(1, 0, 1001)));
    }

    @Test
    void journalEntriesRoundTripThroughLogRecords() {
        Journal.Entry prepared = new Journal.Prepared(TXN, 2, 0, 1, new Op.Put(ID, Op.Put.Kind.CREATE, -1, new byte[] {7}));
        assertEquals(prepared, Journal.decode(Journal.encode(prepared)));
        Journal.Entry committed = new Journal.Committed(TXN, List.of(new Outcome.Applied(ID, 1, 1, 42)));
        assertEquals(committed, Journal.decode(Journal.encode(committed)));
        assertEquals(new Journal.Aborted(TXN), Journal.decode(Journal.encode(new Journal.Aborted(TXN))));
    }

    @Test
    void anUnknownPayloadFormatIsRefused() {
        byte[] payload = Journal.encode(new Journal.Aborted(TXN)).payload();
        payload[0] = 2;
        assertThrows(MalformedException.class, () -> Journal.decode(new LogRecord(RecordType.ABORT, payload)));
    }

    /** Garbage never decodes into something, and never fails with anything but MalformedException. */
    @Property(tries = 2_000)
    void arbitraryBytesAreRefusedCleanly(@ForAll @Size(max = 200) byte[] garbage) {
        byte[] body = new byte[garbage.length + 1];
        body[0] = 1; // past the version check, into the field decoders
        System.arraycopy(garbage, 0, body, 1, garbage.length);
        for (Function<byte[], ?> decoder : List.<Function<byte[], ?>>of(
                WireCodec::prepareRequest, WireCodec::prepareResult, WireCodec::decision, WireCodec::decideReply,
                WireCodec::txnStatus, WireCodec::readRequest, WireCodec::shareState, WireCodec::historyReply,
                WireCodec::listRequest, WireCodec::listReply, WireCodec::changesRequest, WireCodec::changesReply)) {
            try {
                decoder.apply(body);
            } catch (MalformedException expected) {
                // refused cleanly
            }
        }
    }
}
