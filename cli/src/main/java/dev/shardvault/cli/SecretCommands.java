package dev.shardvault.cli;

import io.helidon.http.Method;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** The secret commands: put, get, ls, history, timeline, rm, and status. */
final class SecretCommands {

    private static final Pattern NAME = Pattern.compile("[A-Z][A-Z0-9_]{0,127}");
    private static final Pattern PREFIX = Pattern.compile("[A-Z][A-Z0-9_]{0,127}");
    private static final int PAGE = 1000;

    private SecretCommands() {
    }

    static String name(String name) throws Failure {
        if (!NAME.matcher(name).matches()) {
            throw Failure.usage("NAME must be an upper-case letter then up to 127 of A-Z 0-9 _");
        }
        return name;
    }

    static String path(String name) throws Failure {
        return "/v1/secrets/" + name(name);
    }

    static void printJson(ShardVault root, JsonObject json) {
        root.out.println(json);
        root.out.flush();
    }

    static Object text(JsonObject json, String member) {
        JsonValue value = json.get(member);
        if (value == null || value == JsonValue.NULL) {
            return null;
        }
        return value instanceof jakarta.json.JsonString string ? string.getString() : value.toString();
    }

    @Command(name = "put", description = {"Create NAME, or update it if it exists.",
                                          "The value is read from stdin (exactly its bytes) unless VALUE is given;",
                                          "a value on the command line is visible to ps and shell history."})
    static final class Put implements Callable<Integer> {
        @ParentCommand
        ShardVault root;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE")
        String value;
        @ArgGroup(exclusive = true)
        Mode mode;
        @Option(names = "--json", description = "print the API's answer")
        boolean json;

        static final class Mode {
            @Option(names = "--create", description = "only create; an existing NAME is a conflict (4)")
            boolean create;
            @Option(names = "--update", description = "only update; a missing NAME is not found (3)")
            boolean update;
            @Option(names = "--if-version", paramLabel = "N", description = "only update, and only if N is the latest version (else 4)")
            Long ifVersion;
        }

        @Override
        public Integer call() throws Failure {
            String path = path(name);
            String plaintext = value != null ? value : readValue();
            Api api = root.api();
            boolean create = mode != null && mode.create;
            boolean updateOnly = mode != null && (mode.update || mode.ifVersion != null);
            Api.Answer answer;
            boolean created = false;
            if (create) {
                answer = create(api, plaintext);
                created = true;
            } else {
                try {
                    answer = update(api, path, plaintext);
                } catch (Failure e) {
                    if (updateOnly || !e.is("urn:shardvault:secret-not-found")) {
                        throw e;
                    }
                    try {
                        answer = create(api, plaintext);
                        created = true;
                    } catch (Failure raced) {
                        if (!raced.is("urn:shardvault:secret-exists")) {
                            throw raced;
                        }
                        answer = update(api, path, plaintext); // created by someone else meanwhile
                    }
                }
            }
            JsonObject result = answer.json();
            if (json) {
                printJson(root, result);
            } else {
                root.out.println((created ? "created " : "updated ") + name + " version " + text(result, "version"));
                root.out.flush();
            }
            return Failure.OK;
        }

        private Api.Answer create(Api api, String plaintext) throws Failure {
            return api.write(Method.POST, "/v1/secrets", Map.of(), Json.createObjectBuilder().add("name", name).add("value", plaintext).build());
        }

        private Api.Answer update(Api api, String path, String plaintext) throws Failure {
            Map<String, String> headers = mode != null && mode.ifVersion != null ? Map.of("If-Match", "\"" + mode.ifVersion + "\"") : Map.of();
            return api.write(Method.PUT, path, headers, Json.createObjectBuilder().add("value", plaintext).build());
        }

        private String readValue() throws Failure {
            Console console = System.console();
            if (root.stdinTty && console != null) {
                char[] typed = console.readPassword("value for %s (not echoed): ", name);
                if (typed == null) {
                    throw Failure.usage("no value given");
                }
                return new String(typed);
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try {
                root.in.transferTo(bytes);
            } catch (IOException e) {
                throw Failure.usage("cannot read the value from stdin (" + e.getClass().getSimpleName() + ")");
            }
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
            } catch (CharacterCodingException e) {
                throw Failure.usage("the value on stdin is not UTF-8 text");
            }
        }
    }

    @Command(name = "get", description = {"Print NAME's value: exactly its bytes (a newline is added only on a terminal)."})
    static final class Get implements Callable<Integer> {
        @ParentCommand
        ShardVault root;
        @Parameters(paramLabel = "NAME")
        String name;
        @ArgGroup(exclusive = true)
        Which which;
        @Option(names = "--json", description = "print the API's answer (name, version, value, validFrom, validTo)")
        boolean json;

        static final class Which {
            @Option(names = "--version", paramLabel = "N", description = "that version")
            Long version;
            @Option(names = "--at", paramLabel = "TIME", description = "the version valid at TIME (RFC 3339)")
            String at;
        }

        @Override
        public Integer call() throws Failure {
            Map<String, String> query = new LinkedHashMap<>();
            if (which != null && which.version != null) {
                query.put("version", Long.toString(which.version));
            }
            if (which != null && which.at != null) {
                query.put("at", which.at);
            }
            JsonObject secret = root.api().call(Method.GET, path(name), query).json();
            if (secret.getBoolean("rotationRequired", false)) {
                root.err.println("shardvault: warning: " + name + " was reported exposed; rotate it");
            }
            if (json) {
                printJson(root, secret);
                return Failure.OK;
            }
            byte[] value = Api.string(secret, "value", "").getBytes(StandardCharsets.UTF_8);
            root.out.write(value, 0, value.length);
            if (root.tty) {
                root.out.println();
            }
            root.out.flush();
            return Failure.OK;
        }
    }

    @Command(name = "ls", description = "Names, latest versions and validFrom, sorted by name.")
    static final class Ls implements Callable<Integer> {
        @ParentCommand
        ShardVault root;
        @Option(names = "--prefix", paramLabel = "P", description = "only names that start with P")
        String prefix;
        @Option(names = "--json", description = "print {\"secrets\": [{name, version, validFrom}]}")
        boolean json;

        @Override
        public Integer call() throws Failure {
            if (prefix != null && !PREFIX.matcher(prefix).matches()) {
                throw Failure.usage("--prefix must be the start of a name (an upper-case letter then A-Z 0-9 _)");
            }
            JsonArrayBuilder all = Json.createArrayBuilder();
            Table table = new Table("NAME", "VERSION", "VALID FROM");
            // Names are sorted and "after" is exclusive: every name starting with P sorts after P minus its last
            // character (or from the start for a one-letter P).
            String after = prefix == null || prefix.length() == 1 ? null : prefix.substring(0, prefix.length() - 1);
            boolean more = true;
            while (more) {
                Map<String, String> query = new LinkedHashMap<>();
                query.put("limit", Integer.toString(PAGE));
                if (after != null) {
                    query.put("after", after);
                }
                JsonObject page = root.api().call(Method.GET, "/v1/secrets", query).json();
                for (JsonValue item : page.getJsonArray("secrets")) {
                    JsonObject secret = item.asJsonObject();
                    String name = secret.getString("name");
                    if (prefix != null && !name.startsWith(prefix)) {
                        if (name.compareTo(prefix) > 0) {
                            more = false;
                            break;
                        }
                        continue;
                    }
                    all.add(secret);
                    table.row(name, text(secret, "version"), text(secret, "validFrom"));
                }
                JsonValue next = page.get("next");
                if (!(next instanceof jakarta.json.JsonString cursor)) {
                    more = false;
                } else {
                    after = cursor.getString();
                }
            }
            if (json) {
                printJson(root, Json.createObjectBuilder().add("secrets", all).build());
            } else {
                table.print(root.out);
            }
            return Failure.OK;
        }
    }

    @Command(name = "history", description = "NAME's versions and their validity intervals (no values).")
    static final class History implements Callable<Integer> {
        @ParentCommand
        ShardVault root;
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--json", description = "print the API's answer")
        boolean json;

        @Override
        public Integer call() throws Failure {
            JsonObject history = root.api().call(Method.GET, path(name) + "/versions", Map.of()).json();
            if (json) {
                printJson(root, history);
                return Failure.OK;
            }
            Table table = new Table("VERSION", "VALID FROM", "VALID TO");
            for (JsonValue item : history.getJsonArray("versions")) {
                JsonObject version = item.asJsonObject();
                table.row(text(version, "version"), text(version, "validFrom"), text(version, "validTo"));
            }
            table.print(root.out);
            return Failure.OK;
        }
    }

    @Command(name = "timeline", description = "NAME's custody events, oldest first: who did what, when, under which token.")
    static final class Timeline implements Callable<Integer> {
        @ParentCommand
        ShardVault root;
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--json", description = "print {\"name\", \"events\": [every event]}")
        boolean json;

        @Override
        public Integer call() throws Failure {
            String path = path(name) + "/timeline";
            JsonArrayBuilder all = Json.createArrayBuilder();
            Table table = new Table("AT", "ACTION", "OUTCOME", "VERSION", "ACTOR", "CLASS", "ID");
            String after = null;
            do {
                Map<String, String> query = new LinkedHashMap<>();
                query.put("limit", Integer.toString(PAGE));
                if (after != null) {
                    query.put("after", after);
                }
                JsonObject page = root.api().call(Method.GET, path, query).json();
                for (JsonValue item : page.getJsonArray("events")) {
                    JsonObject event = item.asJsonObject();
                    all.add(event);
                    JsonObject actor = event.get("actor") instanceof JsonObject object ? object : JsonValue.EMPTY_JSON_OBJECT;
                    Object label = text(actor, "label");
                    table.row(text(event, "at"), text(event, "action"), text(event, "outcome"), text(event, "version"),
                              label != null ? label : text(actor, "token"), text(actor, "class"), text(event, "id"));
                }
                after = page.get("next") instanceof jakarta.json.JsonString cursor ? cursor.getString() : null;
            } while (after != null);
            if (json) {
                printJson(root, Json.createObjectBuilder().add("name", name).add("events", all).build());
            } else {
                table.print(root.out);
            }
            return Failure.OK;
        }
    }

    @Command(name = "rm", description = "Delete NAME: enough shares are erased that it can never be rebuilt.")
    static final class Rm implements Callable<Integer> {
        @ParentCommand
        ShardVault root;
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--json", description = "print the API's answer")
        boolean json;

        @Override
        public Integer call() throws Failure {
            JsonObject deleted = root.api().write(Method.DELETE, path(name), Map.of(), null).json();
            if (json) {
                printJson(root, deleted);
            } else {
                root.out.println("deleted " + name + " (shares erased on " + text(deleted, "erasedOn") + " of "
                                 + text(deleted, "nodes") + " nodes)");
                root.out.flush();
            }
            return Failure.OK;
        }
    }

    @Command(name = "status", description = "The cluster as the gateway sees it: each vault node, up or not.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        ShardVault root;
        @Option(names = "--json", description = "print the API's answer")
        boolean json;

        @Override
        public Integer call() throws Failure {
            JsonObject status = root.api().call(Method.GET, "/v1/status", Map.of()).json();
            if (json) {
                printJson(root, status);
                return Failure.OK;
            }
            root.out.println("n=" + text(status, "n") + " k=" + text(status, "k") + " W=" + text(status, "writeQuorum")
                             + " D=" + text(status, "deleteQuorum"));
            Table table = new Table("NODE", "URL", "UP", "LATENCY MS");
            for (JsonValue item : status.getJsonArray("nodes")) {
                JsonObject node = item.asJsonObject();
                table.row(text(node, "id"), text(node, "url"), text(node, "up"),
                          node.get("latencyMs") instanceof JsonNumber latency ? latency.toString() : null);
            }
            table.print(root.out);
            return Failure.OK;
        }
    }
}
