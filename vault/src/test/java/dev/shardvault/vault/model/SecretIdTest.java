package dev.shardvault.vault.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** The hand-written checks accept exactly what the documented patterns accept; ids are equal exactly when their parts are. */
class SecretIdTest {

    @Property(tries = 3000)
    void nameCheckAgreesWithThePattern(@ForAll @StringLength(max = 130)
                                       @Chars({'A', 'Z', 'a', 'z', '0', '9', '_', '-', '.', ' ', 'É'}) String name) {
        assertEquals(SecretId.NAME.matcher(name).matches(), SecretId.validName(name), name);
    }

    @Property(tries = 3000)
    void namespaceCheckAgreesWithThePattern(@ForAll @StringLength(max = 66)
                                            @Chars({'a', 'z', 'A', '0', '9', '_', '-', '.', '/', 'é'}) String namespace) {
        assertEquals(SecretId.NAMESPACE.matcher(namespace).matches(), SecretId.validNamespace(namespace), namespace);
    }

    @Property(tries = 2000)
    void anyStringIsJudgedLikeThePattern(@ForAll @StringLength(max = 140) String text) {
        assertEquals(SecretId.NAME.matcher(text).matches(), SecretId.validName(text), text);
        assertEquals(SecretId.NAMESPACE.matcher(text).matches(), SecretId.validNamespace(text), text);
    }

    @Property(tries = 2000)
    void idsAreEqualExactlyWhenTheirPartsAre(@ForAll("namespaces") String ns1, @ForAll("names") String n1,
                                            @ForAll("namespaces") String ns2, @ForAll("names") String n2) {
        SecretId a = new SecretId(ns1, n1);
        SecretId b = new SecretId(new String(ns2), new String(n2));
        boolean same = ns1.equals(ns2) && n1.equals(n2);
        assertEquals(same, a.equals(b), a + " vs " + b);
        assertEquals(same, a.compareTo(b) == 0);
        if (same) {
            assertEquals(a.hashCode(), b.hashCode());
        }
        assertFalse(a.equals(null));
        assertFalse(a.equals(a.toString()));
    }

    @Property(tries = 2000)
    void txnIdsAreEqualExactlyWhenTheirPartsAre(@ForAll @LongRange(min = 0, max = 2) long h1,
                                               @ForAll @LongRange(min = 0, max = 2) long l1,
                                               @ForAll @LongRange(min = 0, max = 2) long a1,
                                               @ForAll @LongRange(min = 0, max = 2) long h2,
                                               @ForAll @LongRange(min = 0, max = 2) long l2,
                                               @ForAll @LongRange(min = 0, max = 2) long a2) {
        TxnId x = new TxnId(new RequestId(h1, l1), a1);
        TxnId y = new TxnId(new RequestId(h2, l2), a2);
        assertEquals(h1 == h2 && l1 == l2, x.request().equals(y.request()));
        assertEquals(h1 == h2 && l1 == l2 && a1 == a2, x.equals(y));
        assertEquals(x, TxnId.parse(x.toString()));
        if (x.equals(y)) {
            assertEquals(x.hashCode(), y.hashCode());
        }
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.of("A", "B", "AB", "BA", "DB_PASSWORD", "DB_PASSWORE");
    }

    @Provide
    Arbitrary<String> namespaces() {
        return Arbitraries.of("default", "team-a", "team.a", "0");
    }

    @Test
    void edgesOfTheRules() {
        assertTrue(SecretId.validName("A"));
        assertTrue(SecretId.validName("A" + "_".repeat(127)));
        assertFalse(SecretId.validName("A" + "_".repeat(128)));
        assertFalse(SecretId.validName("_A"));
        assertFalse(SecretId.validName("9A"));
        assertFalse(SecretId.validName(""));
        assertFalse(SecretId.validName(null));
        assertTrue(SecretId.validNamespace("0"));
        assertTrue(SecretId.validNamespace("a".repeat(64)));
        assertFalse(SecretId.validNamespace("a".repeat(65)));
        assertFalse(SecretId.validNamespace("-a"));
        assertThrows(IllegalArgumentException.class, () -> new SecretId("default", "lower"));
        assertThrows(IllegalArgumentException.class, () -> new SecretId("Default", "NAME"));
    }
}
