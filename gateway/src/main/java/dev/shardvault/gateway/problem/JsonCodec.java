package dev.shardvault.gateway.problem;

import jakarta.json.spi.JsonProvider;

/**
 * The one JSON provider of the gateway. {@code jakarta.json.Json}'s static factories look the provider up
 * through a ServiceLoader on every call — a jar scan per JSON object, which dominated request CPU.
 */
public final class JsonCodec {

    public static final JsonProvider JSON = JsonProvider.provider();

    private JsonCodec() {
    }
}
