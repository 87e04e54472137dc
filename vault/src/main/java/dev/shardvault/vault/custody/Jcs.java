package dev.shardvault.vault.custody;

import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON Canonicalization Scheme (RFC 8785) for the values a custody event holds: objects with members sorted
 * by their names' UTF-16 code units, strings escaped as ECMAScript's {@code JSON.stringify} does, integers in
 * plain decimal, {@code null}, no whitespace. (Arrays, booleans and fractional numbers are never part of an event
 * and are refused rather than guessed at.)
 */
final class Jcs {

    private static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

    private Jcs() {
    }

    static String canonical(JsonValue value) {
        StringBuilder out = new StringBuilder(256);
        write(out, value);
        return out.toString();
    }

    private static void write(StringBuilder out, JsonValue value) {
        switch (value.getValueType()) {
            case NULL -> out.append("null");
            case STRING -> string(out, ((JsonString) value).getString());
            case NUMBER -> {
                JsonNumber number = (JsonNumber) value;
                if (!number.isIntegral() || Math.abs(number.longValueExact()) > MAX_SAFE_INTEGER) {
                    throw new IllegalArgumentException("only integers up to 2^53 - 1 are canonicalized here");
                }
                out.append(number.longValueExact());
            }
            case OBJECT -> {
                JsonObject object = value.asJsonObject();
                List<String> names = new ArrayList<>(object.keySet());
                names.sort(String::compareTo); // String order is UTF-16 code unit order
                out.append('{');
                for (int i = 0; i < names.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    string(out, names.get(i));
                    out.append(':');
                    write(out, object.get(names.get(i)));
                }
                out.append('}');
            }
            default -> throw new IllegalArgumentException("a custody event holds no " + value.getValueType());
        }
    }

    private static void string(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
