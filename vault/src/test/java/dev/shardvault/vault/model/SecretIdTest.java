package dev.shardvault.vault.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** The hand-written checks accept exactly what the documented patterns accept. */
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
