package dev.shardvault.gateway.history;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.gateway.history.SecretModel.Answer;
import dev.shardvault.gateway.history.SecretModel.Call;
import dev.shardvault.gateway.history.SecretModel.Create;
import dev.shardvault.gateway.history.SecretModel.Delete;
import dev.shardvault.gateway.history.SecretModel.Deleted;
import dev.shardvault.gateway.history.SecretModel.Exists;
import dev.shardvault.gateway.history.SecretModel.Mismatch;
import dev.shardvault.gateway.history.SecretModel.NotFound;
import dev.shardvault.gateway.history.SecretModel.Read;
import dev.shardvault.gateway.history.SecretModel.Update;
import dev.shardvault.gateway.history.SecretModel.UpdateIfMatch;
import dev.shardvault.gateway.history.SecretModel.Value;
import dev.shardvault.gateway.history.SecretModel.Written;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The secret model and the checker on small histories whose verdict is plain by hand. */
class SecretModelTest {

    private static Operation<Call, Answer> op(int process, Call call, long invoked, long completed, Answer answer) {
        return Operation.completed(process, call, invoked, completed, answer);
    }

    private static boolean linearizable(List<Operation<Call, Answer>> history) {
        return Checker.check(new SecretModel(), history).linearizable();
    }

    @Test
    void sequentialLifeOfASecretIsLinearizable() {
        assertTrue(linearizable(List.of(
                op(0, new Create("a"), 0, 1, new Written(1)),
                op(0, new Update("b"), 2, 3, new Written(2)),
                op(1, new UpdateIfMatch(1, "x"), 4, 5, new Mismatch()),
                op(1, new UpdateIfMatch(2, "c"), 6, 7, new Written(3)),
                op(0, new Read(), 8, 9, new Value(3, "c")),
                op(0, new Create("z"), 10, 11, new Exists()),
                op(1, new Delete(), 12, 13, new Deleted()),
                op(1, new Read(), 14, 15, new NotFound()),
                op(0, new Update("y"), 16, 17, new NotFound()),
                op(0, new Create("d"), 18, 19, new Written(1)),
                op(0, new Read(), 20, 21, new Value(1, "d")))));
    }

    @Test
    void aReadOfAnOverwrittenValueAfterTheOverwriteWasAcknowledgedIsAViolation() {
        var history = List.of(
                op(0, new Create("a"), 0, 1, new Written(1)),
                op(0, new Update("b"), 2, 3, new Written(2)),
                op(1, new Read(), 4, 5, new Value(1, "a")));
        Checker.Result result = Checker.check(new SecretModel(), history);
        assertFalse(result.linearizable());
        assertTrue(result.report().contains("#2 process 1"), result.report());
    }

    @Test
    void concurrentWritesMayLandInEitherOrderButVersionsMustAgree() {
        assertTrue(linearizable(List.of(
                op(0, new Create("a"), 0, 1, new Written(1)),
                op(0, new Update("b"), 2, 10, new Written(3)),
                op(1, new Update("c"), 3, 9, new Written(2)),
                op(2, new Read(), 11, 12, new Value(3, "b")))));
        assertFalse(linearizable(List.of(
                op(0, new Create("a"), 0, 1, new Written(1)),
                op(0, new Update("b"), 2, 10, new Written(2)),
                op(1, new Update("c"), 3, 9, new Written(2)))), "two writes cannot both make version 2");
    }

    @Test
    void anIndeterminateWriteMayHaveHappenedOrNot() {
        assertTrue(linearizable(List.of(
                op(0, new Create("a"), 0, 1, new Written(1)),
                Operation.indeterminate(1, new Update("lost?"), 2),
                op(0, new Read(), 5, 6, new Value(1, "a")),
                op(0, new Read(), 7, 8, new Value(2, "lost?")))), "it took effect between the reads");
        assertFalse(linearizable(List.of(
                op(0, new Create("a"), 0, 1, new Written(1)),
                Operation.indeterminate(1, new Update("lost?"), 2),
                op(0, new Read(), 5, 6, new Value(2, "lost?")),
                op(0, new Read(), 7, 8, new Value(1, "a")))), "but it cannot be undone");
        assertFalse(linearizable(List.of(
                op(0, new Create("a"), 0, 1, new Written(1)),
                op(0, new Read(), 2, 3, new Value(2, "never-written")))), "a value nobody wrote");
    }

    @Test
    void aDeletedSecretStartsAgainAtVersionOne() {
        assertFalse(linearizable(List.of(
                op(0, new Create("a"), 0, 1, new Written(1)),
                op(0, new Delete(), 2, 3, new Deleted()),
                op(0, new Create("b"), 4, 5, new Written(2)))));
    }
}
