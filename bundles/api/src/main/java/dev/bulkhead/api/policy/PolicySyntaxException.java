package dev.bulkhead.api.policy;

import dev.bulkhead.api.AdminException;

/**
 * A policy that cannot be put in force: an error in one of its files (named with the line), a file that cannot be
 * read, an include that leaves the policy directory. The message is one line, {@code FILE:LINE: what is wrong}.
 * Nothing has changed when it is thrown: the previous rules stay in force.
 */
public class PolicySyntaxException extends AdminException {
    private static final long serialVersionUID = 1L;
    private final String file;
    private final int line;
    private final String problem;

    /**
     * @param file the file, relative to the policy directory
     * @param line the line, from 1; 0 when the problem is the file as a whole
     * @param problem what is wrong, in words
     */
    public PolicySyntaxException(String file, int line, String problem) {
        super(file + (line > 0 ? ":" + line : "") + ": " + problem);
        this.file = file;
        this.line = line;
        this.problem = problem;
    }

    public String file() {
        return file;
    }

    /** The line, from 1; 0 when the problem is the file as a whole. */
    public int line() {
        return line;
    }

    /** What is wrong, without the file and line. */
    public String problem() {
        return problem;
    }
}
