package dev.shardvault.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Names, creation and atomic replacement of the files in a log directory. */
final class SegmentFiles {

    static final String SEGMENT_SUFFIX = ".log";
    static final String TEMP_SUFFIX = ".tmp";
    static final String BROKEN_SUFFIX = ".broken";
    private static final int INDEX_DIGITS = 20;

    private SegmentFiles() {
    }

    static Path segment(Path dir, long index) {
        return dir.resolve(String.format("%0" + INDEX_DIGITS + "d", index) + SEGMENT_SUFFIX);
    }

    /** Segment indexes present in the directory, ascending. */
    static List<Long> indexes(Path dir) throws IOException {
        List<Long> indexes = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SEGMENT_SUFFIX)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                String digits = name.substring(0, name.length() - SEGMENT_SUFFIX.length());
                if (digits.length() == INDEX_DIGITS && digits.chars().allMatch(Character::isDigit)) {
                    indexes.add(Long.parseLong(digits));
                }
            }
        }
        indexes.sort(null);
        return indexes;
    }

    static List<Path> withSuffix(Path dir, String suffix) throws IOException {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + suffix)) {
            files.forEach(found::add);
        }
        found.sort(null);
        return found;
    }

    static Path temp(Path file) {
        return file.resolveSibling(file.getFileName() + TEMP_SUFFIX);
    }

    /** Creates a segment holding only its header, atomically: it exists whole or not at all. */
    static void createEmpty(Path dir, long index) throws IOException {
        Path file = segment(dir, index);
        Path temp = temp(file);
        try (FileChannel channel = openPrivate(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            Frame.writeFully(channel, Frame.segmentHeader(), 0);
            channel.force(true);
        }
        replace(temp, file);
    }

    /**
     * Opens {@code file} with {@code options}, creating it readable and writable by this process's user only
     * (0600) where the file system has POSIX permissions: shares are never readable by another local user, not
     * even for the moment between creating a file and restricting it.
     */
    static FileChannel openPrivate(Path file, StandardOpenOption... options) throws IOException {
        Set<StandardOpenOption> set = options.length == 0 ? Set.of() : EnumSet.copyOf(Arrays.asList(options));
        return posix(file) ? FileChannel.open(file, set, OWNER_ONLY_FILE) : FileChannel.open(file, set);
    }

    /** Creates {@code dir} and missing parents as 0700 (on POSIX file systems); an existing directory is left as is. */
    static void createPrivateDirectories(Path dir) throws IOException {
        Path existing = dir.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null && posix(existing)) {
            Files.createDirectories(dir, OWNER_ONLY_DIRECTORY);
        } else {
            Files.createDirectories(dir);
        }
    }

    private static boolean posix(Path anyPath) {
        return anyPath.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    /** Renames {@code temp} over {@code target} atomically and makes the rename durable. */
    static void replace(Path temp, Path target) throws IOException {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(target.getParent());
    }

    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
