package dev.shardvault.vault;

import dev.shardvault.vault.config.NodeAddress;
import dev.shardvault.vault.config.NodeConfig;
import dev.shardvault.vault.custody.Custody;
import dev.shardvault.vault.custody.Shipper;
import dev.shardvault.vault.custody.TimelineReader;
import dev.shardvault.tls.Identity;
import dev.shardvault.tls.InvalidTlsMaterialException;
import dev.shardvault.tls.TlsReloader;
import dev.shardvault.vault.config.Timeouts;
import dev.shardvault.vault.http.Callers;
import dev.shardvault.vault.http.VaultService;
import dev.shardvault.vault.peer.HttpPeer;
import dev.shardvault.vault.peer.PeerApi;
import dev.shardvault.vault.peer.PeerLink;
import dev.shardvault.vault.peer.ShareRelease;
import dev.shardvault.tls.ReleaseKeys;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.Peers;
import dev.shardvault.vault.read.ReadCoordinator;
import dev.shardvault.vault.rebuild.Rebuilder;
import dev.shardvault.vault.rebuild.RecoveryHelper;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShardStore;
import dev.shardvault.vault.txn.Coordinator;
import dev.shardvault.vault.txn.InFlight;
import dev.shardvault.vault.txn.LocalParticipant;
import dev.shardvault.vault.txn.Resolver;
import io.helidon.common.tls.Tls;
import io.helidon.common.tls.TlsClientAuth;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One running vault node: its store (log + shares), its participant, coordinator, read coordinator and
 * in-doubt resolver, and one Helidon WebServer with two sockets, both mutual TLS 1.3 with the cluster CA: the
 * gateway-facing socket (answers only the gateway's identity) and the {@value #PEER_SOCKET} socket (answers
 * only the other nodes'). Every socket bounds its connections, its concurrent requests and its body sizes.
 */
public final class VaultNode implements AutoCloseable {

    /** In the data directory while a node that started empty has not caught up with its peers. */
    static final String REBUILDING_MARKER = "REBUILDING";
    /** The named Helidon socket peers call. */
    public static final String PEER_SOCKET = "peer";
    private static final long MAX_GATEWAY_BODY_BYTES = 2L << 20;
    /** Open connections per socket, authenticated or not; further connects wait in the listen backlog. */
    private static final int MAX_TCP_CONNECTIONS = 1_024;
    /** Requests being handled at once per socket (each is a virtual thread); beyond it Helidon answers 503. */
    private static final int MAX_CONCURRENT_REQUESTS = 4_096;
    /** Bytes of peer request bodies one calling node may have in this node at once (see PeerApi). */
    private static final int MIN_PEER_BUDGET_BYTES = 16 << 20;
    /** A peer body is one log record (a PREPARE of a whole batch at most) plus its envelope. */
    private static final int PEER_BODY_ENVELOPE_BYTES = 64 << 10;
    private static final System.Logger LOG = System.getLogger(VaultNode.class.getName());

    private final NodeConfig config;
    private final ShardStore store;
    private final Peers peers;
    private final LocalParticipant participant;
    private final Resolver resolver;
    private final PeerLink link;
    private final WebServer server;
    private final TlsReloader tls;
    private final Tls clientTls;
    private final Thread resolverLoop;
    private final Thread sweepLoop;
    private final dev.shardvault.vault.read.Sweeper sweeper;
    private final Rebuilder rebuilder;
    private final RecoveryHelper recoveryHelper;
    private final Thread rebuildLoop;
    private final ReadCoordinator reader;
    private final NodeMetrics metrics;
    private final ShareRelease shareRelease;
    private final Custody custody;
    private final Shipper shipper;
    private final TimelineReader timelines;
    private volatile boolean closed;
    /** How often custody events are shipped to the other nodes (an event reaches them within about this). */
    static final long SHIP_INTERVAL_MILLIS = 200;

    static {
        // Helidon 4.4 resolves the global mapper manager through its service registry on every header value
        // conversion (a fresh instance per lookup); pinning one instance removed most of a request's CPU.
        io.helidon.common.mapper.MapperManager.global(io.helidon.common.mapper.MapperManager.create());
    }

    private VaultNode(NodeConfig config, PeerLink link, Consumer<IOException> onLogFailure,
                      Consumer<dev.shardvault.vault.model.SecretId> afterTombstone) throws IOException {
        this.config = config;
        this.link = link;
        int self = config.nodeId();
        Timeouts timeouts = config.timeouts();
        this.tls = TlsReloader.watch(config.tls());
        Tls serverTls;
        try {
            serverTls = tls.server(TlsClientAuth.REQUIRED);
            this.clientTls = tls.client();
        } catch (InvalidTlsMaterialException e) {
            tls.close();
            throw new IOException("node " + self + ": " + e.getMessage(), e);
        }
        this.custody = new Custody(self);
        try {
            this.store = ShardStore.open(self, config.dataDir(), config.log(), onLogFailure, afterTombstone, custody::replay);
            custody.logTo(store::appendEvent);
        } catch (IOException | RuntimeException e) {
            tls.close();
            throw e;
        }
        try {
            InFlight inFlight = new InFlight();
            this.participant = new LocalParticipant(self, store, inFlight, custody, timeouts.writeBudgetMillis());
            this.peers = new Peers(self, Map.of(self, participant));
            this.resolver = new Resolver(self, config.cluster(), store, peers, inFlight, timeouts.peerReadMillis());
            participant.resolveWith(resolver);
            // Transactions this node coordinated before it stopped were never decided: abort them now.
            resolver.resolveOwn();
            ReadCoordinator reader = new ReadCoordinator(config.cluster(), peers, timeouts.readMillis());
            this.reader = reader;
            SecureRandom random = new SecureRandom();
            // A node that starts with an empty log (a new or replaced disk), or whose rebuild did not finish, stays
            // out of quorums until it caught up (Rebuilder#ready); the marker keeps that across a restart.
            Path rebuilding = config.dataDir().resolve(REBUILDING_MARKER);
            boolean startedEmpty = store.replayReport().records() == 0 || Files.exists(rebuilding);
            if (startedEmpty) {
                Files.write(rebuilding, new byte[0], StandardOpenOption.CREATE, StandardOpenOption.SYNC);
            }
            this.rebuilder = new Rebuilder(self, config.cluster(), store, peers, random, config.rebuild(), timeouts.peerReadMillis(),
                                           startedEmpty, () -> {
                                               try {
                                                   Files.deleteIfExists(rebuilding);
                                               } catch (IOException e) {
                                                   LOG.log(System.Logger.Level.WARNING, "could not remove " + rebuilding
                                                           + "; the next start compares with the peers again", e);
                                               }
                                           });
            participant.joinQuorumsWhen(rebuilder::ready);
            this.recoveryHelper = new RecoveryHelper(self, config.cluster(), store, peers, random, timeouts.peerReadMillis());
            this.sweeper = new dev.shardvault.vault.read.Sweeper(store, peers, rebuilder::want);
            // Gateways' release keys: in memory only, registered again by each gateway's probes after a restart.
            ReleaseKeys releaseKeys = new ReleaseKeys();
            this.shareRelease = new ShareRelease(self, releaseKeys);
            ShareRelease release = shareRelease;
            this.metrics = new NodeMetrics(self, store, reader, peers, release);
            Coordinator coordinator = new Coordinator(self, config.cluster(), store, peers, inFlight, new SecureRandom(),
                    new Coordinator.Timeouts(timeouts.prepareMillis(), timeouts.graceMillis(), timeouts.commitMillis(),
                                             timeouts.writeBudgetMillis()),
                    (id, version, authorization) -> reader.read(id, new Selector.ByVersion(version), authorization)
                                                    instanceof ReadCoordinator.ReadResult.Found found
                            ? java.util.Optional.of(found.value()) : java.util.Optional.empty());
            NodeAddress address = config.address();
            long maxPeerBodyBytes = (long) config.log().maxRecordBytes() + PEER_BODY_ENVELOPE_BYTES;
            PeerApi peerApi = new PeerApi(participant, release, recoveryHelper, maxPeerBodyBytes,
                                          (int) Math.max(MIN_PEER_BUDGET_BYTES, maxPeerBodyBytes));
            Set<Identity> otherNodes = new HashSet<>();
            for (NodeAddress node : config.cluster().nodes()) {
                if (node.id() != self) {
                    otherNodes.add(Identity.node(node.id()));
                }
            }
            this.shipper = new Shipper(custody, peers, SHIP_INTERVAL_MILLIS);
            this.timelines = new TimelineReader(custody, peers, config.cluster().n(), timeouts.readMillis());
            metrics.custody(custody, shipper, timelines);
            metrics.rebuild(rebuilder, recoveryHelper);
            metrics.shares(reader, this::sharesReceived);
            VaultService gatewayApi = new VaultService(self, releaseKeys, coordinator, reader, config.cluster(), metrics::write,
                    new VaultService.Recording(custody, shipper, timelines, store::view, timeouts.writeBudgetMillis()));
            this.server = WebServer.builder()
                    .host(address.host())
                    .port(address.port())
                    .tls(serverTls)
                    .maxPayloadSize(MAX_GATEWAY_BODY_BYTES)
                    .maxTcpConnections(MAX_TCP_CONNECTIONS)
                    .maxConcurrentRequests(MAX_CONCURRENT_REQUESTS)
                    .connectionOptions(socket -> socket.tcpNoDelay(true))
                    .addFeature(ObserveFeature.builder()
                                        .addObserver(HealthObserver.builder()
                                                             .details(true)
                                                             .addCheck(this::health, HealthCheckType.READINESS, "vault")
                                                             .build())
                                        .addObserver(io.helidon.webserver.observe.metrics.MetricsObserver.create())
                                        .build())
                    .routing(routing -> routing.addFilter(new Callers("gateway-facing", Set.of(Identity.gateway())))
                            .register("/internal/v1", gatewayApi))
                    .putSocket(PEER_SOCKET, socket -> socket
                            .host(address.host())
                            .port(address.peerPort())
                            .tls(serverTls)
                            .maxPayloadSize(maxPeerBodyBytes)
                            .maxTcpConnections(MAX_TCP_CONNECTIONS)
                            .maxConcurrentRequests(MAX_CONCURRENT_REQUESTS)
                            .connectionOptions(options -> options.tcpNoDelay(true))
                            .routing(routing -> routing.addFilter(new Callers(PEER_SOCKET, otherNodes))
                                    .register(PeerApi.PATH, peerApi)))
                    .build()
                    .start();
        } catch (RuntimeException e) {
            store.close();
            tls.close();
            throw e;
        }
        this.resolverLoop = Thread.ofVirtual().name("in-doubt-resolver-" + self).start(this::resolveLoop);
        this.sweepLoop = Thread.ofVirtual().name("sweeper-" + self).start(this::sweepLoop);
        this.rebuildLoop = Thread.ofVirtual().name("rebuilder-" + self).start(this::rebuildLoop);
    }

    /** Where this node's rebuild stands (docs/operations.md, "Replacing a disk"). */
    public Rebuilder.Status rebuildStatus() {
        return rebuilder.status();
    }

    /** Whether this node takes part in quorums (false while a node that started empty catches up). */
    public boolean ready() {
        return rebuilder.ready();
    }

    /** One full rebuild pass now (tests; the background loop runs them by itself). */
    public long rebuildNow() {
        return rebuilder.pass();
    }

    /** Values this node rebuilt from k shares (reads, and repairs a read sends): the rebuild path adds none. */
    public long reconstructions() {
        return reader.reconstructions();
    }

    /** Recovery requests this node refused as a helper (a node asking for another's share, a wrong helper set). */
    public long recoveryRefused() {
        return recoveryHelper.refused();
    }

    /** Shares this node received from peers: read answers it gathered as coordinator, and repairs it stored. */
    public long sharesReceived() {
        return reader.sharesGathered() + participant.repairsReceived();
    }

    private void rebuildLoop() {
        while (!closed) {
            try {
                rebuilder.step();
                rebuilder.awaitNextStep();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "rebuild pass failed; will retry", e);
                try {
                    Thread.sleep(config.rebuild().retryMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /** The custody events this node holds. */
    public Custody custody() {
        return custody;
    }

    /** Timeline answers this node refused to use because that node's stored chain was broken. */
    public long timelineChainsRefused() {
        return timelines.refusedChains();
    }

    /** Read repairs and tombstones sent by this node as a reader. */
    public ReadCoordinator.RepairCounts repairCounts() {
        return reader.repairCounts();
    }

    /** Sweeps against every peer now (tests; the background loop sweeps against one peer per interval). */
    public int sweepNow() {
        return sweeper.sweepAll();
    }

    /** Times a sweep found a peer with a newer version than this node's (handed to the rebuilder). */
    public long sweepBehind() {
        return sweeper.behind();
    }

    /** Peer entries this node's sweeps have compared since it started (a pass over changes compares few). */
    public long sweepCompared() {
        return sweeper.compared();
    }

    private void sweepLoop() {
        while (!closed) {
            try {
                Thread.sleep(config.timeouts().sweepIntervalMillis());
                sweeper.sweep();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "sweep failed; will retry", e);
            }
        }
    }

    /** Starts a node whose peers are at the addresses in its config. A log failure halts the process. */
    public static VaultNode start(NodeConfig config) throws IOException {
        return start(config, id -> { });
    }

    /**
     * As {@link #start(NodeConfig)}, with a hook run after a delete's tombstone is durable and before the
     * shares are erased: crash tests halt the process there to prove that a restart finishes the erasure.
     */
    public static VaultNode start(NodeConfig config, Consumer<dev.shardvault.vault.model.SecretId> afterTombstone)
            throws IOException {
        VaultNode node = new VaultNode(config, PeerLink.DIRECT, failure -> {
            LOG.log(System.Logger.Level.ERROR, "the log failed; stopping this node so that it restarts from disk", failure);
            Runtime.getRuntime().halt(70);
        }, afterTombstone);
        Map<Integer, URI> addresses = new HashMap<>();
        for (NodeAddress node2 : config.cluster().nodes()) {
            addresses.put(node2.id(), node2.peerUri());
        }
        node.connect(addresses);
        return node;
    }

    /** Starts a node that knows no peers yet (see {@link #connect}); for tests on ephemeral ports. */
    public static VaultNode start(NodeConfig config, PeerLink link, Consumer<IOException> onLogFailure) throws IOException {
        return new VaultNode(config, link, onLogFailure, id -> { });
    }

    /** Points this node at its peers' peer sockets (its own entry is ignored: it talks to itself in-process). */
    public void connect(Map<Integer, URI> peerUris) {
        Timeouts timeouts = config.timeouts();
        Map<Integer, Peer> all = new HashMap<>();
        all.put(config.nodeId(), participant);
        peerUris.forEach((id, uri) -> {
            if (id != config.nodeId()) {
                all.put(id, new HttpPeer(config.nodeId(), id, uri, clientTls, Duration.ofMillis(timeouts.peerConnectMillis()),
                                         Duration.ofMillis(timeouts.peerReadMillis()), link));
            }
        });
        closeRemotes(peers.replace(all));
        rebuilder.peersChanged();
    }

    public int id() {
        return config.nodeId();
    }

    public URI uri() {
        return URI.create("https://" + config.address().host() + ":" + server.port());
    }

    public URI peerUri() {
        return URI.create("https://" + config.address().host() + ":" + server.port(PEER_SOCKET));
    }

    /** Times this node loaded rotated TLS material into its sockets and clients. */
    public long tlsReloads() {
        return tls.reloads();
    }

    private static void closeRemotes(java.util.Collection<Peer> replaced) {
        for (Peer peer : replaced) {
            if (peer instanceof HttpPeer remote) {
                remote.close();
            }
        }
    }

    /** Share and repair requests this node refused for want of a valid authorization. */
    public long sharesRefused() {
        return shareRelease.refused();
    }

    /** This node's store, for tests and diagnostics. */
    public ShardStore store() {
        return store;
    }

    private HealthCheckResponse health() {
        Rebuilder.Status status = rebuilder.status();
        return HealthCheckResponse.builder()
                .status(true)
                .detail("node", config.nodeId())
                .detail("inDoubt", store.inDoubt().size())
                .detail("rebuildReady", rebuilder.ready())
                .detail("rebuildState", status.state())
                .detail("rebuildMissing", status.missing())
                .detail("rebuildUnrecoverable", status.unrecoverable())
                .detail("rebuildRebuilt", status.rebuilt())
                .detail("rebuildTombstonesLearned", status.tombstonesLearned())
                .detail("rebuildPasses", status.passes())
                .detail("rebuildLastPassMillis", status.lastPassMillis())
                .build();
    }

    private void resolveLoop() {
        while (!closed) {
            try {
                Thread.sleep(config.timeouts().resolveIntervalMillis());
                resolver.resolveAll(config.timeouts().inDoubtMinAgeMillis());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "in-doubt resolution failed; will retry", e);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        resolverLoop.interrupt();
        shipper.close();
        sweepLoop.interrupt();
        rebuildLoop.interrupt();
        server.stop();
        tls.close();
        closeRemotes(peers.all());
        metrics.close();
        try {
            store.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
