package dev.bulkhead.core.internal;

/**
 * What is set on one volume of a qube; {@code null} means the default applies.
 *
 * @param size            the size limit in bytes
 * @param revisionsToKeep how many earlier states are kept for revert
 */
record VolumeConfig(Long size, Integer revisionsToKeep) {
    static final VolumeConfig NONE = new VolumeConfig(null, null);

    VolumeConfig withSize(long bytes) {
        return new VolumeConfig(bytes, revisionsToKeep);
    }

    VolumeConfig withRevisionsToKeep(int count) {
        return new VolumeConfig(size, count);
    }
}
