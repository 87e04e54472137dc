/**
 * A segmented, append-only, fsync'd record log: the only durable state of a vault node.
 *
 * <h2>Directory</h2>
 * <pre>
 *   LOCK                                   held (flock) by the one process that has the log open
 *   00000000000000000000.log               segments, named by a 20-digit zero-padded index, so that
 *   00000000000000000001.log               lexical order is write order; indexes are contiguous
 *   00000000000000000001.log.4096.broken   a torn tail cut at offset 4096 on open, kept for inspection
 * </pre>
 * Files ending in {@code .tmp} are half-made segments from a crash during a roll or an erasure and are
 * deleted on open. Anything else in the directory is ignored.
 *
 * <h2>Segment</h2>
 * <pre>
 *   offset  size  field
 *   0       8     magic "SVLOG\r\n\032" (0x53 0x56 0x4C 0x4F 0x47 0x0D 0x0A 0x1A)
 *   8       4     format version, u32 little-endian, = 1
 *   12      4     CRC32C of bytes 0..11, u32 little-endian
 *   16      ...   records, back to back
 * </pre>
 * The active (last) segment is pre-allocated: zeros follow its last record, and the writer only ever
 * writes into zeros. A sealed segment is truncated to the end of its last record when the log rolls.
 *
 * <h2>Record frame</h2>
 * <pre>
 *   offset  size  field
 *   0       4     payload length L, u32 little-endian, 0 &lt;= L &lt;= maxRecordBytes
 *   4       4     CRC32C over bytes 0..3 and 8..(9+L-1) (length, type, payload), u32 little-endian
 *   8       1     record type code (1..127), see {@link dev.shardvault.log.RecordType}
 *   9       L     payload: opaque to this library; its owner versions it (the vault's first byte is
 *                 its payload format version)
 * </pre>
 * A header of nine zero bytes marks the end of data in the active segment (type 0 is never valid).
 *
 * <h2>Durability</h2>
 * One writer thread takes appends from a bounded queue, writes a batch with one positional write and
 * calls {@code FileChannel.force} once; every append in the batch completes only after that returns
 * (group commit). An I/O error on write or force fails the log for good: the caller must stop the node,
 * because after a failed fsync the kernel may have dropped the dirty pages. A deferred append
 * ({@link dev.shardvault.log.RecordLog#appendDeferred}) is written in order but forced only with a later
 * waiting append, after {@code deferredForceMillis}, or before an erasure or close; unforced bytes never
 * exceed one batch.
 *
 * <h2>Replay</h2>
 * {@link dev.shardvault.log.RecordLog#open} verifies every frame's CRC and hands every record, in write
 * order, to the caller before it accepts appends. In the last segment, an invalid frame (short, bad
 * length, bad CRC) or non-zero bytes after the end marker is a torn tail <em>if</em> everything from
 * there to the last non-zero byte fits in one unsynced batch write: those bytes were never acknowledged.
 * The tail is copied to a {@code .broken} file, zeroed in the segment, fsync'd, and the cut logged with
 * file and offset. Any other bad frame, a bad segment header, or a missing segment stops the open with
 * {@link dev.shardvault.log.LogCorruptedException} naming file and offset: data is never dropped silently.
 *
 * <h2>Erasure</h2>
 * {@link dev.shardvault.log.RecordLog#erase} rewrites every segment holding a matching record without
 * those records: temp file, fsync, atomic rename over the segment, directory fsync. The replaced file's
 * erased byte ranges are then overwritten with zeros and fsync'd before its descriptor is closed, so on a
 * filesystem that overwrites in place the blocks are scrubbed too. {@code .broken} files may hold
 * fragments of any record, so an erasure that removes anything also scrubs and deletes them.
 *
 * <p>This package must never interpret payloads: it owns bytes on disk, their integrity and their
 * durability, nothing else.
 */
package dev.shardvault.log;
