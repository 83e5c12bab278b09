package dev.bulkhead.core.internal;

import java.util.function.BooleanSupplier;

import dev.bulkhead.api.AdminException;

/**
 * A change is saved before the running system follows it; when following fails, the change is put
 * back and the system follows the previous state again, so that the command that is refused
 * changes nothing. A change that was changed again meanwhile is left as it is.
 */
final class Rollback {
    private Rollback() {
    }

    /**
     * Puts the previous state back and returns the refusal to throw, saying what happened to it.
     *
     * @param what what could not be done, e.g. {@code cannot put the firewall rules of 'work' in force}
     * @param why what failed
     * @param restore puts the previous state back in the model; {@code false} when it changed again meanwhile and was left alone
     * @param follow makes the running system follow the restored state
     * @param restored says where things are once restored, e.g. {@code its previous rules are back}
     */
    static AdminException refusal(String what, RuntimeException why, BooleanSupplier restore, Runnable follow, String restored) {
        String outcome;
        RuntimeException failed = null;
        try {
            if (restore.getAsBoolean()) {
                follow.run();
                outcome = restored;
            } else {
                outcome = "it was changed again meanwhile, and is left as it is";
            }
        } catch (RuntimeException e) {
            outcome = "going back failed too: " + e.getMessage();
            failed = e;
        }
        AdminException refusal = new AdminException(what + ": " + why.getMessage() + "; " + outcome, why);
        if (failed != null) {
            refusal.addSuppressed(failed);
        }
        return refusal;
    }
}
