package dev.shardvault.vault.peer;

import dev.shardvault.vault.codec.BinaryReader;
import dev.shardvault.vault.codec.BinaryWriter;
import dev.shardvault.vault.codec.MalformedException;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of {@code /peer/v1/batch}: several peer requests in one HTTP exchange, answered in order.
 * <pre>
 * request = version u8 (1) | count u32 | (route u8 | body bytes)*
 * reply   = version u8 (1) | count u32 | (ok u8 | body bytes)*     (not ok: body is a UTF-8 reason)
 * </pre>
 */
final class Batches {

    static final List<String> ROUTES = List.of("/prepare", "/decide", "/read");
    static final int MAX_MESSAGES = 256;
    private static final int MAX_BODY_BYTES = 8 << 20;

    private Batches() {
    }

    record Message(String route, byte[] body) {
    }

    record Answer(boolean ok, byte[] body) {
    }

    static byte[] encodeRequest(List<Message> messages) {
        BinaryWriter out = new BinaryWriter(64 * messages.size());
        out.u8(1).i32(messages.size());
        for (Message message : messages) {
            out.u8(ROUTES.indexOf(message.route())).bytes(message.body());
        }
        byte[] bytes = out.toByteArray();
        out.wipe();
        return bytes;
    }

    static List<Message> decodeRequest(byte[] body) {
        BinaryReader in = new BinaryReader(body);
        if (in.u8() != 1) {
            throw new MalformedException("unknown batch version");
        }
        int count = in.count(MAX_MESSAGES, 5);
        List<Message> messages = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int route = in.u8();
            if (route >= ROUTES.size()) {
                throw new MalformedException("unknown batched route " + route);
            }
            messages.add(new Message(ROUTES.get(route), in.bytes(MAX_BODY_BYTES)));
        }
        in.end();
        return messages;
    }

    static byte[] encodeReply(List<Answer> answers) {
        BinaryWriter out = new BinaryWriter(64 * answers.size());
        out.u8(1).i32(answers.size());
        for (Answer answer : answers) {
            out.bool(answer.ok()).bytes(answer.body());
        }
        byte[] bytes = out.toByteArray();
        out.wipe();
        return bytes;
    }

    static List<Answer> decodeReply(byte[] body, int expected) {
        BinaryReader in = new BinaryReader(body);
        if (in.u8() != 1) {
            throw new MalformedException("unknown batch version");
        }
        int count = in.count(MAX_MESSAGES, 5);
        if (count != expected) {
            throw new MalformedException("batch reply has " + count + " answers for " + expected + " requests");
        }
        List<Answer> answers = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            answers.add(new Answer(in.bool(), in.bytes(MAX_BODY_BYTES)));
        }
        in.end();
        return answers;
    }
}
