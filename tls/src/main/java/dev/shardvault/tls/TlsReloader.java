package dev.shardvault.tls;

import io.helidon.common.tls.Tls;
import io.helidon.common.tls.TlsClientAuth;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands out the {@link Tls} of one process's sockets and clients and keeps them current: every
 * {@link TlsMaterial#reloadInterval()} it looks at the three files (modification time, size, inode), and when
 * any changed it builds fresh {@code Tls} from them and reloads each live one in place (Helidon swaps the key
 * and trust managers under the same {@code SSLContext}). New handshakes use the new certificate; connections
 * already open, and requests in flight on them, are untouched. Material that does not load (a rotation caught
 * half way, a wrong password) is reported once and the current certificates stay in use.
 */
public final class TlsReloader implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(TlsReloader.class.getName());

    private interface Build {
        Tls build(TlsMaterial material) throws InvalidTlsMaterialException;
    }

    private record Live(Tls tls, Build build) {
    }

    /** What identifies one version of the files; a missing file is a null entry. */
    private record Stamp(List<Object> files) {
    }

    private final TlsMaterial material;
    private final List<Live> live = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer;
    private final AtomicLong reloads = new AtomicLong();
    private volatile Stamp loaded;
    private volatile Stamp reported;

    private TlsReloader(TlsMaterial material) {
        this.material = material;
        this.loaded = stamp();
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "tls-reloader");
            thread.setDaemon(true);
            return thread;
        });
        long millis = material.reloadInterval().toMillis();
        timer.scheduleWithFixedDelay(this::check, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Starts watching {@code material}; the first {@code Tls} handed out is built from the files as they are now. */
    public static TlsReloader watch(TlsMaterial material) {
        return new TlsReloader(material);
    }

    public TlsMaterial material() {
        return material;
    }

    /** A server socket's TLS (see {@link ClusterTls#server}), reloaded on rotation. */
    public Tls server(TlsClientAuth clientAuth) throws InvalidTlsMaterialException {
        return register(m -> ClusterTls.server(m, clientAuth));
    }

    /** A client's TLS (see {@link ClusterTls#client}), reloaded on rotation. */
    public Tls client() throws InvalidTlsMaterialException {
        return register(ClusterTls::client);
    }

    /** How many times changed files were loaded into the live {@code Tls}. */
    public long reloads() {
        return reloads.get();
    }

    private Tls register(Build build) throws InvalidTlsMaterialException {
        Tls tls = build.build(material);
        live.add(new Live(tls, build));
        return tls;
    }

    private void check() {
        Stamp now = stamp();
        if (now.equals(loaded)) {
            return;
        }
        try {
            List<Tls> fresh = new ArrayList<>();
            for (Live each : live) {
                fresh.add(each.build().build(material));
            }
            for (int i = 0; i < fresh.size(); i++) {
                live.get(i).tls().reload(fresh.get(i));
            }
            loaded = now;
            reloads.incrementAndGet();
            LOG.log(System.Logger.Level.INFO, "TLS material reloaded from " + material.keystore() + " and " + material.caPem());
        } catch (InvalidTlsMaterialException | RuntimeException e) {
            if (!now.equals(reported)) {
                reported = now;
                LOG.log(System.Logger.Level.WARNING, "changed TLS material did not load; the current certificates stay in use: "
                                                     + e.getMessage());
            }
        }
    }

    private Stamp stamp() {
        List<Object> files = new ArrayList<>();
        for (Path file : List.of(material.caPem(), material.keystore(), material.passwordFile())) {
            try {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                files.add(List.of(attributes.lastModifiedTime(), attributes.size(), String.valueOf(attributes.fileKey())));
            } catch (IOException e) {
                files.add(file.toString() + " missing");
            }
        }
        return new Stamp(files);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
