package dev.shardvault.gateway.http;

import static dev.shardvault.gateway.problem.JsonCodec.JSON;

import dev.shardvault.gateway.auth.Principal;
import dev.shardvault.gateway.forward.VaultNodes;
import dev.shardvault.gateway.forward.VaultNodes.Grant;
import dev.shardvault.gateway.problem.ProblemException;
import dev.shardvault.tls.ReleaseGrant;
import io.helidon.http.Method;
import java.util.List;
import java.util.Map;

/**
 * Records a request the gateway refused with 403 (the token lacks the action, or the secret is outside its scope)
 * in that secret's custody timeline, as a {@code refused} event of the caller: the vault node makes it durable
 * before the gateway answers. Only the gateway decides such refusals, so only it can report them; a node records
 * one only for a name it has ever held, so probing for names leaves nothing behind.
 */
final class Refusals {

    private static final System.Logger LOG = System.getLogger(Refusals.class.getName());

    private final VaultNodes vault;

    Refusals(VaultNodes vault) {
        this.vault = vault;
    }

    /** Best effort: a refusal that no node could record is logged (without the token) and the 403 still answered. */
    void record(Principal principal, ReleaseGrant.Audit audit, String name, String event) {
        try {
            VaultNodes.Answer answer = vault.send(Method.POST, "/internal/v1/events/" + principal.namespace() + "/" + name, Map.of(),
                    JSON.createObjectBuilder().add("action", event).add("outcome", "refused").build(),
                    Grant.meta(principal.namespace(), List.of(name), audit));
            if (answer.status() != 200) {
                LOG.log(System.Logger.Level.WARNING, "a refused " + event + " of " + name + " was not recorded: status "
                                                     + answer.status());
            }
        } catch (ProblemException e) {
            LOG.log(System.Logger.Level.WARNING, "a refused " + event + " of " + name + " was not recorded: "
                                                 + e.problem().detail());
        }
    }
}
