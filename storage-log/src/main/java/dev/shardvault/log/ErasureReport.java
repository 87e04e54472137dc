package dev.shardvault.log;

/**
 * What one {@link RecordLog#erase} removed.
 *
 * @param segmentsRewritten   segment files replaced by a copy without the erased records
 * @param recordsErased       records removed
 * @param bytesErased         frame bytes removed (and zeroed in the replaced files)
 * @param brokenFilesScrubbed {@code .broken} torn-tail copies zeroed and deleted
 */
public record ErasureReport(int segmentsRewritten, long recordsErased, long bytesErased, int brokenFilesScrubbed) {

    static final ErasureReport NONE = new ErasureReport(0, 0, 0, 0);

    ErasureReport plus(ErasureReport other) {
        return new ErasureReport(segmentsRewritten + other.segmentsRewritten, recordsErased + other.recordsErased,
                                 bytesErased + other.bytesErased, brokenFilesScrubbed + other.brokenFilesScrubbed);
    }
}
