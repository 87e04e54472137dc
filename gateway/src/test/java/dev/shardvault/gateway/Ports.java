package dev.shardvault.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Ephemeral loopback ports for one test cluster, never the same one twice (the OS may offer a just-closed port again). */
final class Ports {

    private final Set<Integer> taken = new HashSet<>();

    int next() {
        while (true) {
            try (ServerSocket socket = new ServerSocket(0)) {
                if (taken.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
