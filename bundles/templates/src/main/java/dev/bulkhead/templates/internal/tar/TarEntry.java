package dev.bulkhead.templates.internal.tar;

/**
 * One entry of a tar archive, with the long names and sizes of PAX and GNU extension headers
 * already applied.
 *
 * @param name     the path as the archive spells it
 * @param type     what the entry is
 * @param mode     permission bits, with set-user-id, set-group-id and sticky
 * @param uid      owner
 * @param gid      group
 * @param size     bytes of content (regular files only)
 * @param mtime    modification time, seconds since the epoch
 * @param linkName the target of a symbolic or hard link
 */
public record TarEntry(String name, Type type, int mode, long uid, long gid, long size, long mtime, String linkName) {
    /** Entry types, with their type flags. */
    public enum Type {
        FILE('0'), HARD_LINK('1'), SYMLINK('2'), CHAR_DEVICE('3'), BLOCK_DEVICE('4'), DIRECTORY('5'), FIFO('6');

        final char flag;

        Type(char flag) {
            this.flag = flag;
        }

        static Type of(char flag) {
            if (flag == '\0' || flag == '7') {
                return FILE; // old tars write NUL; '7' is a contiguous file, an ordinary file today
            }
            for (Type t : values()) {
                if (t.flag == flag) {
                    return t;
                }
            }
            return null;
        }
    }
}
