package dev.shardvault.vault.http;

import jakarta.json.spi.JsonProvider;

/**
 * The one JSON provider of this module. {@code jakarta.json.Json}'s static factories look the provider up
 * through a ServiceLoader on every call — a jar scan per JSON object, which dominated request CPU.
 */
final class JsonCodec {

    static final JsonProvider JSON = JsonProvider.provider();

    private JsonCodec() {
    }
}
