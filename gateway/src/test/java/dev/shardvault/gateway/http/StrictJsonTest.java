package dev.shardvault.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.shardvault.gateway.problem.ProblemException;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

class StrictJsonTest {

    /** The field and message of the 400 that parsing {@code text} gives. */
    private static String refusal(String text) {
        ProblemException e = assertThrows(ProblemException.class, () -> StrictJson.parse(text));
        assertEquals(400, e.problem().status());
        JsonObject error = e.problem().extensions().getJsonArray("errors").getJsonObject(0);
        return error.getString("field") + ": " + error.getString("message");
    }

    @Test
    void nestingUpToTheLimitIsReadAndOneMoreIsRefusedBeforeDescending() {
        String allowed = "[".repeat(StrictJson.MAX_DEPTH) + "]".repeat(StrictJson.MAX_DEPTH);
        JsonArray outer = (JsonArray) StrictJson.parse(allowed);
        assertEquals(1, outer.size());
        String over = "{\"a\":" + "[".repeat(StrictJson.MAX_DEPTH) + "]".repeat(StrictJson.MAX_DEPTH) + "}";
        assertEquals("a: nests deeper than 32 levels", refusal(over));
        assertEquals("body: nests deeper than 32 levels", refusal("[".repeat(1_000_000)));
    }

    @Test
    void aRepeatedMemberIsRefusedWithItsPathAtAnyDepth() {
        assertEquals("value: appears more than once", refusal("{\"value\":\"a\",\"value\":\"a\"}"));
        assertEquals("actions.x: appears more than once", refusal("{\"actions\":{\"x\":1,\"y\":2,\"x\":1}}"));
        // The same name in two sibling objects is not a repeat.
        JsonObject fine = (JsonObject) StrictJson.parse("{\"a\":{\"x\":1},\"b\":{\"x\":2},\"c\":[{\"x\":3},{\"x\":4}]}");
        assertEquals(4, fine.getJsonArray("c").getJsonObject(1).getInt("x"));
    }

    @Test
    void unpairedSurrogatesAreRefusedAndPairsKept() {
        assertEquals("value: holds an unpaired surrogate (\\ud800), which is not a Unicode character",
                     refusal("{\"value\":\"\\ud800\"}"));
        assertEquals("value: holds an unpaired surrogate (\\udc00), which is not a Unicode character",
                     refusal("{\"value\":\"x\\udc00\\ud800\"}"));
        assertEquals("value: holds an unpaired surrogate (\\ud83d), which is not a Unicode character",
                     refusal("{\"value\":\"\\ud83d\"}"));
        assertEquals("body: holds an unpaired surrogate (\\ud800), which is not a Unicode character",
                     refusal("{\"\\ud800\":\"x\"}"));
        assertEquals("\ud83d\ude00!", ((JsonObject) StrictJson.parse("{\"value\":\"\\ud83d\\ude00!\"}")).getString("value"));
    }

    @Test
    void brokenOrTrailingTextIsRefusedWithoutQuotingIt() {
        assertEquals("body: is not valid JSON", refusal("{\"name\": "));
        assertEquals("body: is not valid JSON", refusal(""));
        assertEquals("body: is not valid JSON", refusal("{\"value\":\"secret-text\" garbage"));
        String trailing = refusal("{\"value\":\"x\"} {\"value\":\"y\"}");
        assertEquals(true, trailing.startsWith("body: is not valid JSON"), trailing);
    }

    @Test
    void scalarsAndNumbersComeThroughUnchanged() {
        JsonObject object = (JsonObject) StrictJson.parse("{\"n\":12.5,\"t\":true,\"f\":false,\"z\":null,\"s\":\"x\"}");
        assertEquals("{\"n\":12.5,\"t\":true,\"f\":false,\"z\":null,\"s\":\"x\"}", object.toString());
    }
}
