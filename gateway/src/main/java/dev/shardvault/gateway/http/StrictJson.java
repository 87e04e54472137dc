package dev.shardvault.gateway.http;

import static dev.shardvault.gateway.problem.JsonCodec.JSON;

import dev.shardvault.gateway.problem.Problem;
import dev.shardvault.gateway.problem.ProblemException;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonException;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParser;
import java.io.StringReader;
import java.util.HashSet;
import java.util.Set;

/**
 * A client's JSON, read as RFC 8259 text that means one thing: a member name given twice (which reader wins is
 * implementation-defined, so a body could mean one thing here and another to a proxy or log reader), a string
 * holding an unpaired UTF-16 surrogate (no Unicode scalar value; a JSON-P reader would hand it on and the UTF-8
 * encoder would store it as {@code ?}) and nesting deeper than {@value #MAX_DEPTH} are each a 400 naming the field,
 * checked in the one pass that builds the value. The depth is checked before descending, so a body nested 50,000
 * deep costs one parser frame per level read, not a stack overflow. Raw (unescaped) surrogates never get here:
 * they are not valid UTF-8, which the caller's strict decoder refuses first.
 */
final class StrictJson {

    static final int MAX_DEPTH = 32;

    private StrictJson() {
    }

    /** The one JSON value {@code text} holds, or a 400 problem. */
    static JsonValue parse(String text) {
        try (JsonParser parser = JSON.createParser(new StringReader(text))) {
            if (!parser.hasNext()) {
                throw invalid("body", "is not valid JSON");
            }
            JsonValue value = value(parser, parser.next(), 1, "body");
            if (parser.hasNext()) {
                throw invalid("body", "is not valid JSON (more after the first value)");
            }
            return value;
        } catch (JsonException | java.util.NoSuchElementException e) {
            // Parsson's message may quote the input; the problem says only where.
            throw invalid("body", "is not valid JSON");
        }
    }

    private static JsonValue value(JsonParser parser, JsonParser.Event event, int depth, String field) {
        return switch (event) {
            case START_OBJECT -> object(parser, depth, field);
            case START_ARRAY -> array(parser, depth, field);
            case VALUE_STRING -> JSON.createValue(scalarValues(parser.getString(), field));
            case VALUE_NUMBER -> parser.getValue();
            case VALUE_TRUE -> JsonValue.TRUE;
            case VALUE_FALSE -> JsonValue.FALSE;
            case VALUE_NULL -> JsonValue.NULL;
            default -> throw invalid("body", "is not valid JSON");
        };
    }

    private static JsonValue object(JsonParser parser, int depth, String field) {
        requireDepth(depth, field);
        JsonObjectBuilder builder = JSON.createObjectBuilder();
        Set<String> seen = new HashSet<>();
        for (JsonParser.Event event = parser.next(); event != JsonParser.Event.END_OBJECT; event = parser.next()) {
            String name = scalarValues(parser.getString(), field);
            String member = depth == 1 ? name : field + "." + name;
            if (!seen.add(name)) {
                throw invalid(member, "appears more than once");
            }
            builder.add(name, value(parser, parser.next(), depth + 1, member));
        }
        return builder.build();
    }

    private static JsonValue array(JsonParser parser, int depth, String field) {
        requireDepth(depth, field);
        JsonArrayBuilder builder = JSON.createArrayBuilder();
        for (JsonParser.Event event = parser.next(); event != JsonParser.Event.END_ARRAY; event = parser.next()) {
            builder.add(value(parser, event, depth + 1, field));
        }
        return builder.build();
    }

    private static void requireDepth(int depth, String field) {
        if (depth > MAX_DEPTH) {
            throw invalid(field, "nests deeper than " + MAX_DEPTH + " levels");
        }
    }

    /** {@code text}, if every surrogate in it is half of a pair. */
    private static String scalarValues(String text, String field) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw invalid(field, "holds an unpaired surrogate (\\u" + Integer.toHexString(c)
                        + "), which is not a Unicode character");
            }
        }
        return text;
    }

    private static ProblemException invalid(String field, String message) {
        return new ProblemException(Problem.invalid(field, message));
    }
}
