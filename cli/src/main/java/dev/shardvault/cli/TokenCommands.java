package dev.shardvault.cli;

import io.helidon.http.Method;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code token create|ls|revoke}: the tokens API (action {@code grant}). */
@Command(name = "token", description = "Mint, list and revoke tokens (your own token's subtree).",
         subcommands = {TokenCommands.Create.class, TokenCommands.Ls.class, TokenCommands.Revoke.class})
final class TokenCommands {

    private static final Pattern ID = Pattern.compile("tok_[a-z2-7]{20}");

    @ParentCommand
    ShardVault root;

    private static String joined(JsonObject object, String member) {
        List<String> parts = new ArrayList<>();
        if (object.get(member) instanceof jakarta.json.JsonArray array) {
            for (JsonValue value : array) {
                parts.add(value instanceof JsonString string ? string.getString() : value.toString());
            }
        }
        return parts.isEmpty() ? null : String.join(",", parts);
    }

    @Command(name = "create", description = {"Mint a token narrower than yours. Prints the bearer token (shown only now)",
                                             "on stdout, and its id on stderr."})
    static final class Create implements Callable<Integer> {
        @ParentCommand
        TokenCommands tokens;
        @Option(names = {"-a", "--action"}, required = true, split = ",", paramLabel = "ACTION",
                description = "read, write, delete, list, env, grant, audit (repeatable or comma-separated)")
        List<String> actions;
        @Option(names = "--name", split = ",", paramLabel = "NAME", description = "scope: exactly these names")
        List<String> names = new ArrayList<>();
        @Option(names = "--prefix", split = ",", paramLabel = "P", description = "scope: names starting with P")
        List<String> prefixes = new ArrayList<>();
        @Option(names = "--ttl", paramLabel = "SECONDS", description = "lifetime (default: the rest of yours)")
        Long ttlSeconds;
        @Option(names = "--label", description = "who or what it is for (shown in custody timelines)")
        String label;
        @Option(names = "--class", paramLabel = "CLASS", description = "human or machine (default machine)")
        String actorClass;
        @Option(names = "--json", description = "print the API's answer (bearer token included)")
        boolean json;

        @Override
        public Integer call() throws Failure {
            JsonArrayBuilder actionList = Json.createArrayBuilder();
            actions.forEach(actionList::add);
            JsonArrayBuilder nameList = Json.createArrayBuilder();
            names.forEach(nameList::add);
            JsonArrayBuilder prefixList = Json.createArrayBuilder();
            prefixes.forEach(prefixList::add);
            JsonObjectBuilder body = Json.createObjectBuilder().add("actions", actionList).add("names", nameList).add("prefixes", prefixList);
            if (ttlSeconds != null) {
                body.add("ttlSeconds", ttlSeconds);
            }
            if (label != null) {
                body.add("label", label);
            }
            if (actorClass != null) {
                body.add("class", actorClass);
            }
            ShardVault root = tokens.root;
            JsonObject minted = root.api().call(Method.POST, "/v1/tokens", Map.of(), Map.of(), body.build()).json();
            if (json) {
                SecretCommands.printJson(root, minted);
                return Failure.OK;
            }
            root.out.println(Api.string(minted, "token", ""));
            root.out.flush();
            root.err.println("shardvault: minted " + Api.string(minted, "id", "") + " (" + joined(minted, "actions") + "; expires "
                             + SecretCommands.text(minted, "expiresAt") + ")");
            return Failure.OK;
        }
    }

    @Command(name = "ls", description = "Your token and every token minted under it (never a bearer value).")
    static final class Ls implements Callable<Integer> {
        @ParentCommand
        TokenCommands tokens;
        @Option(names = "--json", description = "print the API's answer")
        boolean json;

        @Override
        public Integer call() throws Failure {
            ShardVault root = tokens.root;
            JsonObject list = root.api().call(Method.GET, "/v1/tokens", Map.of()).json();
            if (json) {
                SecretCommands.printJson(root, list);
                return Failure.OK;
            }
            Table table = new Table("ID", "LABEL", "ACTIONS", "NAMES", "PREFIXES", "EXPIRES", "PARENT", "REVOKED");
            for (JsonValue item : list.getJsonArray("tokens")) {
                JsonObject token = item.asJsonObject();
                table.row(SecretCommands.text(token, "id"), SecretCommands.text(token, "label"), joined(token, "actions"),
                          joined(token, "names"), joined(token, "prefixes"), SecretCommands.text(token, "expiresAt"),
                          SecretCommands.text(token, "parent"), SecretCommands.text(token, "revoked"));
            }
            table.print(root.out);
            return Failure.OK;
        }
    }

    @Command(name = "revoke", description = "Revoke token ID and, transitively, every token minted from it.")
    static final class Revoke implements Callable<Integer> {
        @ParentCommand
        TokenCommands tokens;
        @Parameters(paramLabel = "ID")
        String id;
        @Option(names = "--json", description = "print the API's answer")
        boolean json;

        @Override
        public Integer call() throws Failure {
            if (!ID.matcher(id).matches()) {
                throw Failure.usage("ID must be a token id (tok_ and 20 base32 characters), not a bearer token");
            }
            ShardVault root = tokens.root;
            JsonObject revoked = root.api().write(Method.DELETE, "/v1/tokens/" + id, Map.of(), null).json();
            if (json) {
                SecretCommands.printJson(root, revoked);
            } else {
                root.out.println("revoked " + joined(revoked, "revoked"));
                root.out.flush();
            }
            return Failure.OK;
        }
    }
}
