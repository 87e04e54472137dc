package dev.shardvault.vault.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.vault.model.SecretId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ring of changed ids that passes over changes read. */
class ViewChangesTest {

    private static SecretId id(int i) {
        return new SecretId("default", "S" + i);
    }

    @Test
    void changesComeBackInOrderFromAnyHeldPoint() {
        ViewChanges changes = new ViewChanges(4);
        assertEquals(0, changes.latest());
        assertTrue(changes.holdsAfter(0));
        assertEquals(List.of(), changes.after(0, 10));
        for (int i = 1; i <= 3; i++) {
            changes.record(id(i));
        }
        assertEquals(3, changes.latest());
        assertEquals(List.of(id(1), id(2), id(3)), changes.after(0, 10));
        assertEquals(List.of(id(2)), changes.after(1, 1));
        assertEquals(List.of(), changes.after(3, 10));
    }

    @Test
    void aReaderMoreThanCapacityBehindIsToldSo() {
        ViewChanges changes = new ViewChanges(4);
        for (int i = 1; i <= 10; i++) {
            changes.record(id(i));
        }
        assertFalse(changes.holdsAfter(5), "change 6 was overwritten: only 7..10 are held");
        assertTrue(changes.holdsAfter(6));
        assertEquals(List.of(id(7), id(8), id(9), id(10)), changes.after(6, 10));
        assertEquals(List.of(id(9), id(10)), changes.after(8, 10));
        assertFalse(changes.holdsAfter(11), "a point in the future is not held");
        assertFalse(changes.holdsAfter(-1));
        assertThrows(IllegalArgumentException.class, () -> changes.after(2, 10));
    }
}
