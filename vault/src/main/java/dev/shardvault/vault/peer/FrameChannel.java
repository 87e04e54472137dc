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
 * <p>Senders never write: a sender queues its frame and, unless a flush is already due, starts a virtual
 * thread that writes everything queued and flushes once. That thread runs when the sender's carrier is next
 * free, after the threads already waiting to run, so the frames those threads send meanwhile (other
 * transactions' messages, answers completed by the same log fsync) leave in the same write and the same
 * TCP segment: one syscall on each side for many frames.
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
    private final AtomicBoolean flushDue = new AtomicBoolean();
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

    /**
     * Queues {@code frame}; a flusher thread, started unless one is already due, writes it together with whatever
     * other senders queue before it runs. A write failure closes the connection (the reader then fails).
     */
    void send(Frame frame) throws IOException {
        if (frame.body().length > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("frame body of " + frame.body().length + " bytes");
        }
        if (closed) {
            throw new IOException("connection closed");
        }
        outbox.add(frame);
        if (flushDue.compareAndSet(false, true)) {
            Thread.ofVirtual().name("peer-flush").start(this::flush);
        }
    }

    /**
     * Writes everything queued and flushes once. Only the thread that set {@code flushDue} runs this; a frame
     * queued after its last poll is seen by its re-check once it drops the flag, or by a new flusher.
     */
    private void flush() {
        try {
            while (true) {
                Frame next;
                while ((next = outbox.poll()) != null) {
                    write(next);
                }
                out.flush();
                flushDue.set(false);
                if (outbox.isEmpty() || !flushDue.compareAndSet(false, true)) {
                    return;
                }
            }
        } catch (IOException e) {
            close();
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
