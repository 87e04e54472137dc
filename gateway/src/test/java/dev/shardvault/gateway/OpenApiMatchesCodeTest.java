package dev.shardvault.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.gateway.Api.Reply;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/openapi.yaml and the running gateway agree: every documented route answers (no unrouted 404 or 405),
 * and every problem type the code can produce is listed in the document.
 */
class OpenApiMatchesCodeTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void everyDocumentedRouteIsServed() {
        Config paths = Config.just(ConfigSources.file(ROOT.resolve("docs/openapi.yaml"))).get("paths");
        List<String> checked = new ArrayList<>();
        try (LocalCluster cluster = new LocalCluster(dir)) {
            Api api = new Api(cluster.gateway(), LocalCluster.FULL);
            api.create("DOC", "x");
            for (Config path : paths.asNodeList().orElseThrow()) {
                String route = path.key().name().replace("{name}", "DOC").replace("{id}", "tok_aaaaaaaaaaaaaaaaaaaa");
                if (route.startsWith("/v1/")) {
                    // A method the document does not list is a 405 whose Allow lists exactly the documented ones.
                    Set<String> documented = new java.util.TreeSet<>();
                    path.asNodeList().orElseThrow().stream().map(o -> o.key().name().toUpperCase())
                            .filter(m -> !m.equals("PARAMETERS")).forEach(documented::add);
                    Reply patch = api.send("PATCH", route, null, null, Map.of());
                    assertEquals(405, patch.status(), "PATCH " + route + ": " + patch.text());
                    assertEquals(documented, new java.util.TreeSet<>(List.of(patch.header("Allow").split(", "))), route);
                }
                for (Config operation : path.asNodeList().orElseThrow()) {
                    String method = operation.key().name().toUpperCase();
                    if (method.equals("PARAMETERS")) {
                        continue;
                    }
                    String contentType = route.equals("/v1/env") ? "text/plain" : "application/json";
                    String body = switch (method) {
                        case "POST" -> route.equals("/v1/env") ? "A=1\n"
                                : route.equals("/v1/tokens") ? "{\"actions\":[\"read\"]}"
                                : Api.json(Map.of("name", "DOC2", "value", "y"));
                        case "PUT" -> Api.json(Map.of("value", "z"));
                        default -> null;
                    };
                    Reply reply = api.send(method, route, body, body == null ? null : contentType, Map.of());
                    assertTrue(reply.status() != 405 && (reply.status() != 404 || reply.type().startsWith("urn:shardvault:")),
                               method + " " + route + " is documented but not served: " + reply.status() + " " + reply.text());
                    checked.add(method + " " + route);
                }
            }
        }
        assertEquals(15, checked.size(), checked.toString());
    }

    @Test
    void everyProblemTypeInTheCodeIsDocumented() throws Exception {
        String document = Files.readString(ROOT.resolve("docs/openapi.yaml"));
        String apiPage = Files.readString(ROOT.resolve("docs/api.md"));
        Pattern urn = Pattern.compile("urn:shardvault:[a-z-]+|\\bof\\((?:\\d+|status[^,]*), \"([a-z-]+)\", \"");
        Set<String> inCode = new java.util.TreeSet<>();
        for (Path source : List.of(ROOT.resolve("gateway/src/main/java"), ROOT.resolve("vault/src/main/java"))) {
            try (var files = Files.walk(source)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    Matcher matcher = urn.matcher(Files.readString(file));
                    while (matcher.find()) {
                        inCode.add(matcher.group(1) != null ? "urn:shardvault:" + matcher.group(1) : matcher.group());
                    }
                }
            }
        }
        assertTrue(inCode.size() >= 15, inCode.toString());
        for (String type : inCode) {
            assertTrue(document.contains(type), type + " is produced by the code but missing from docs/openapi.yaml");
            assertTrue(apiPage.contains(type), type + " is produced by the code but missing from docs/api.md");
        }
    }
}
