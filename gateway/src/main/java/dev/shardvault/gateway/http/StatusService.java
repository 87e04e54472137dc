package dev.shardvault.gateway.http;

import static dev.shardvault.gateway.problem.JsonCodec.JSON;

import dev.shardvault.gateway.GatewayConfig;
import dev.shardvault.gateway.forward.VaultNodes;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import jakarta.json.JsonArrayBuilder;

/** {@code GET /v1/status}: the vault nodes as the last probe saw them, and the cluster's shape. */
final class StatusService implements HttpService {

    private final Requests requests;
    private final VaultNodes vault;
    private final GatewayConfig config;

    StatusService(Requests requests, VaultNodes vault, GatewayConfig config) {
        this.requests = requests;
        this.vault = vault;
        this.config = config;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::status);
    }

    private void status(ServerRequest req, ServerResponse res) {
        requests.authenticate(req);
        JsonArrayBuilder nodes = JSON.createArrayBuilder();
        for (VaultNodes.NodeStatus node : vault.status()) {
            nodes.add(JSON.createObjectBuilder().add("id", node.id()).add("url", node.uri().toString()).add("up", node.up())
                              .add("latencyMs", node.latencyMillis()));
        }
        SecretsService.json(res, JSON.createObjectBuilder().add("nodes", nodes).add("n", config.n()).add("k", config.k())
                .add("writeQuorum", config.writeQuorum()).add("deleteQuorum", config.deleteQuorum())
                .add("repairTriggerBuffer", config.repairTriggerBuffer()).build());
    }
}
