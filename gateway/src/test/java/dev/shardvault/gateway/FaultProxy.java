package dev.shardvault.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * TCP proxies, one per directed link ("g1 -> n3", "n2 -> n5"), each listening on its own loopback port in front of
 * one node socket, so that a test can fail links one at a time. TLS passes through untouched (the proxy sees only
 * ciphertext; identities are still checked end to end). Per link: a delay on every chunk, new connections
 * refused (accepted and closed at once), open connections cut, and blackholed (bytes are held, as a network
 * partition holds them, until the link heals or the endpoints give up and close).
 */
final class FaultProxy implements AutoCloseable {

    enum Mode { PASS, REFUSE, BLACKHOLE }

    /** One directed link: connections from {@code from} to {@code to}'s socket at {@code targetPort}. */
    final class Link implements AutoCloseable {
        final String from;
        final String to;
        private final int targetPort;
        private final ServerSocket listener;
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();
        private final Object healed = new Object();
        private volatile Mode mode = Mode.PASS;
        private volatile int delayMillis;

        private Link(String from, String to, int targetPort) throws IOException {
            this.from = from;
            this.to = to;
            this.targetPort = targetPort;
            this.listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().name("proxy " + this).start(this::accept);
        }

        int port() {
            return listener.getLocalPort();
        }

        Mode mode() {
            return mode;
        }

        void set(Mode newMode) {
            mode = newMode;
            if (newMode == Mode.PASS) {
                synchronized (healed) {
                    healed.notifyAll();
                }
            }
        }

        void delay(int millis) {
            delayMillis = millis;
        }

        /** Closes every open connection through this link (both ends see a reset or EOF). */
        void cut() {
            for (Socket socket : open) {
                closeQuietly(socket);
            }
        }

        private void accept() {
            while (!listener.isClosed()) {
                Socket client;
                try {
                    client = listener.accept();
                } catch (IOException e) {
                    return;
                }
                if (mode == Mode.REFUSE) {
                    closeQuietly(client);
                    continue;
                }
                Thread.ofVirtual().name("proxy " + this + " connect").start(() -> connect(client));
            }
        }

        private void connect(Socket client) {
            Socket server = new Socket();
            try {
                awaitPass();
                server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2_000);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
            } catch (IOException | InterruptedException e) {
                closeQuietly(client);
                closeQuietly(server);
                return;
            }
            open.add(client);
            open.add(server);
            Thread.ofVirtual().name("proxy " + this + " up").start(() -> pump(client, server));
            Thread.ofVirtual().name("proxy " + this + " down").start(() -> pump(server, client));
        }

        private void pump(Socket source, Socket sink) {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = source.getInputStream(); OutputStream out = sink.getOutputStream()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    awaitPass();
                    int delay = delayMillis;
                    if (delay > 0) {
                        Thread.sleep(delay);
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // one side closed or was cut: close the other
            } finally {
                closeQuietly(source);
                closeQuietly(sink);
                open.remove(source);
                open.remove(sink);
            }
        }

        /** Blocks while the link is blackholed (a cut or close of the sockets still ends the connection). */
        private void awaitPass() throws InterruptedException {
            while (mode == Mode.BLACKHOLE) {
                synchronized (healed) {
                    if (mode == Mode.BLACKHOLE) {
                        healed.wait(100);
                    }
                }
            }
        }

        @Override
        public void close() {
            closeQuietly(listener);
            cut();
            set(Mode.PASS);
        }

        @Override
        public String toString() {
            return from + " -> " + to;
        }
    }

    private final Map<String, Link> links = new ConcurrentHashMap<>();

    /** A proxy for connections from {@code from} to {@code to}, whose socket is on loopback port {@code targetPort}. */
    Link add(String from, String to, int targetPort) {
        try {
            Link link = new Link(from, to, targetPort);
            links.put(from + "->" + to, link);
            return link;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Link link(String from, String to) {
        Link link = links.get(from + "->" + to);
        if (link == null) {
            throw new IllegalArgumentException("no link " + from + " -> " + to);
        }
        return link;
    }

    Collection<Link> links() {
        return links.values();
    }

    /**
     * Blackholes every link from a member of {@code side} to a process outside it, and (when {@code bothWays}) every
     * link into it: {@code side} is cut off from the rest, or can only be called, not call out.
     */
    List<Link> partition(Set<String> side, boolean bothWays) {
        List<Link> affected = new ArrayList<>();
        for (Link link : links.values()) {
            boolean out = side.contains(link.from) && !side.contains(link.to);
            boolean in = !side.contains(link.from) && side.contains(link.to);
            if (out || (bothWays && in)) {
                link.set(Mode.BLACKHOLE);
                affected.add(link);
            }
        }
        return affected;
    }

    /** Every link back to passing, undelayed. */
    void healAll() {
        for (Link link : links.values()) {
            link.delay(0);
            link.set(Mode.PASS);
        }
    }

    @Override
    public void close() {
        links.values().forEach(Link::close);
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
