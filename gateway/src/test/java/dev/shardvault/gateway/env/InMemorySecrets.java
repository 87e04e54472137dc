package dev.shardvault.gateway.env;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The transformer's view of the vault as a map, for testing the text processing alone; the real vault is
 * exercised through the gateway in EnvApiTest.
 */
final class InMemorySecrets implements EnvTransformer.Secrets {

    final Map<String, String> values = new HashMap<>();
    int batches;

    @Override
    public Map<String, EnvTransformer.Lookup> read(Set<String> names) {
        Map<String, EnvTransformer.Lookup> found = new HashMap<>();
        for (String name : names) {
            found.put(name, values.containsKey(name) ? new EnvTransformer.Lookup.Found(values.get(name))
                                                     : new EnvTransformer.Lookup.Failed("not-found"));
        }
        return found;
    }

    @Override
    public Set<String> existing(Set<String> names) {
        Set<String> existing = new HashSet<>(names);
        existing.retainAll(values.keySet());
        return existing;
    }

    @Override
    public EnvTransformer.Creation createAll(Map<String, String> plaintexts) {
        Set<String> existing = existing(plaintexts.keySet());
        if (!existing.isEmpty()) {
            return new EnvTransformer.Creation.Refused(existing);
        }
        batches++;
        values.putAll(plaintexts);
        return new EnvTransformer.Creation.Created();
    }
}
