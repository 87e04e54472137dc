package dev.shardvault.vault.peer;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One peer connection carrying frames both ways. A frame is
 * <pre>
 * length u32 (of what follows) | id u64 | code u8 | body
 * </pre>
 * Requests carry a route as their code and answers a {@link PeerProtocol} status; the id pairs an answer with its
 * request, and answers may come back in any order, so many requests share one connection at once.
 *
 * <p>Sending never hands off to another thread: a sender queues its frame, and the thread that finds no write
 * in progress writes everything queued and flushes once. Concurrent senders thus share one write and one
 * flush (one syscall for many frames), and a lone sender writes its own frame at once.
 */
final class FrameChannel implements AutoCloseable {

    /** A frame as read or about to be written. */
    record Frame(long id, int code, byte[] body) {
    }

    static final int MAX_BODY_BYTES = 16 << 20;
    private static final int HEADER_BYTES = 8 + 1;
    private static final int BUFFER_BYTES = 64 << 10;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final byte[] header = new byte[4 + HEADER_BYTES];
    private final ConcurrentLinkedQueue<Frame> outbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean writing = new AtomicBoolean();
    private volatile boolean closed;

    FrameChannel(Socket socket) throws IOException {
        this.socket = socket;
        socket.setTcpNoDelay(true);
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), BUFFER_BYTES));
        this.out = new BufferedOutputStream(socket.getOutputStream(), BUFFER_BYTES);
    }

    /** The next frame; {@link java.io.EOFException} when the other side closed between frames. */
    Frame read() throws IOException {
        int length = in.readInt();
        if (length < HEADER_BYTES || length - HEADER_BYTES > MAX_BODY_BYTES) {
            throw new IOException("malformed frame: length " + Integer.toUnsignedString(length));
        }
        long id = in.readLong();
        int code = in.readUnsignedByte();
        byte[] body = new byte[length - HEADER_BYTES];
        in.readFully(body);
        return new Frame(id, code, body);
    }

    /** Sends {@code frame}, together with whatever other senders queued meanwhile. */
    void send(Frame frame) throws IOException {
        if (frame.body().length > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("frame body of " + frame.body().length + " bytes");
        }
        if (closed) {
            throw new IOException("connection closed");
        }
        outbox.add(frame);
        // Whoever wins the flag writes; a frame queued while the winner is finishing is seen by the winner's
        // re-check of the queue after it drops the flag.
        while (!outbox.isEmpty() && writing.compareAndSet(false, true)) {
            try {
                Frame next;
                while ((next = outbox.poll()) != null) {
                    write(next);
                }
                out.flush();
            } catch (IOException e) {
                close();
                throw e;
            } finally {
                writing.set(false);
            }
        }
    }

    private void write(Frame frame) throws IOException {
        int length = HEADER_BYTES + frame.body().length;
        putInt(header, 0, length);
        putInt(header, 4, (int) (frame.id() >>> 32));
        putInt(header, 8, (int) frame.id());
        header[12] = (byte) frame.code();
        out.write(header);
        out.write(frame.body());
    }

    private static void putInt(byte[] target, int at, int value) {
        target[at] = (byte) (value >>> 24);
        target[at + 1] = (byte) (value >>> 16);
        target[at + 2] = (byte) (value >>> 8);
        target[at + 3] = (byte) value;
    }

    boolean isClosed() {
        return closed;
    }

    String remote() {
        return String.valueOf(socket.getRemoteSocketAddress());
    }

    @Override
    public void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a broken socket: nothing left to release
        }
    }
}
