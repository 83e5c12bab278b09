package dev.bulkhead.api.policy;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The files of the policy directory, for an editor (the web console): read one, check a new text for it against the
 * whole policy, and save it. A text is saved only when the policy with it loads; then it is written atomically and
 * put in force at once. Names are plain file names in the directory ending in {@code .policy}.
 *
 * @since 1.1
 */
@ProviderType
public interface PolicyFiles {
    /** The {@code *.policy} files of the directory, in the order they are read. */
    List<String> list();

    /**
     * A file's text.
     *
     * @throws dev.bulkhead.api.InvalidValueException for a name that is no {@code NAME.policy} file name, or no such file
     * @throws dev.bulkhead.api.InvalidValueException when there is no such file
     */
    String read(String file);

    /**
     * Checks what the policy would be with {@code file} holding {@code text}, without changing anything.
     *
     * @throws PolicySyntaxException naming the file and line of the first error
     * @throws dev.bulkhead.api.InvalidValueException for a bad file name or a text over the size limit
     */
    void check(String file, String text);

    /**
     * Saves {@code text} as {@code file} (a new file or a replacement) when the policy with it loads, and puts that
     * policy in force.
     *
     * @return the status of the policy now in force
     * @throws PolicySyntaxException when it does not load; nothing was written and the rules in force stay
     * @throws dev.bulkhead.api.InvalidValueException for a bad file name or a text over the size limit
     */
    PolicyStatus save(String file, String text);

    /**
     * Removes a file when the policy without it loads, and puts that policy in force.
     *
     * @throws PolicySyntaxException when the policy without it does not load (another file includes it)
     * @throws dev.bulkhead.api.InvalidValueException when there is no such file
     */
    PolicyStatus remove(String file);
}
