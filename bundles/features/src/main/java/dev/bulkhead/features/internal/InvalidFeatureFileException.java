package dev.bulkhead.features.internal;

/**
 * A feature file that cannot be used, with the reason. Its own type, so that the feature service
 * skips a broken file by name and nothing else is taken for one.
 */
final class InvalidFeatureFileException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    InvalidFeatureFileException(String message) {
        super(message);
    }
}
