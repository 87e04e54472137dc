package dev.shardvault.vault.custody;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

/** The canonical form against RFC 8785's own examples (member order by UTF-16 code units, string escapes). */
class JcsTest {

    private static JsonObject parse(String json) {
        try (var reader = Json.createReader(new StringReader(json))) {
            return reader.readObject();
        }
    }

    @Test
    void sortsMembersByUtf16CodeUnitsAsRfc8785Section3223() {
        JsonObject object = parse("""
                {"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh",
                 "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control",
                 "\\u00f6": "Latin Small Letter O With Diaeresis"}""");
        assertEquals("{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\","
                     + "\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\","
                     + "\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
                     Jcs.canonical(object));
    }

    @Test
    void escapesOnlyWhatJsonStringifyEscapesAndWritesIntegersPlainly() {
        JsonObject object = parse("{\"b\": \"tab\\t nl\\n quote\\\" slash\\\\ bell\\u0007 \\u001f del\\u007f / é\","
                                  + " \"a\": null, \"n\": 1000000, \"z\": {\"y\": -3, \"x\": \"\"}}");
        assertEquals("{\"a\":null,\"b\":\"tab\\t nl\\n quote\\\" slash\\\\ bell\\u0007 \\u001f del\u007f / é\","
                     + "\"n\":1000000,\"z\":{\"x\":\"\",\"y\":-3}}", Jcs.canonical(object));
    }

    @Test
    void refusesWhatAnEventNeverHolds() {
        assertThrows(IllegalArgumentException.class, () -> Jcs.canonical(parse("{\"a\": [1]}")));
        assertThrows(IllegalArgumentException.class, () -> Jcs.canonical(parse("{\"a\": 1.5}")));
        assertThrows(IllegalArgumentException.class, () -> Jcs.canonical(parse("{\"a\": 9007199254740993}")));
    }
}
