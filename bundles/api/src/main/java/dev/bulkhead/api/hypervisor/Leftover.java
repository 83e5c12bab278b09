package dev.bulkhead.api.hypervisor;

import java.util.Objects;

/**
 * One thing a backend found on the host at take-over that no running domain owns, and whether it
 * went: {@link LeftoverReconciling#reconcile(java.util.Set)} reports one per item.
 *
 * @param kind what it is, e.g. {@code network namespace}, {@code mount}, {@code loop device}
 * @param item which one: a name, a path, a device
 * @param reason why it is a leftover
 * @param failure why it could not be removed; null when it was removed
 */
public record Leftover(String kind, String item, String reason, String failure) {
    public Leftover {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(item, "item");
        Objects.requireNonNull(reason, "reason");
    }

    public static Leftover removed(String kind, String item, String reason) {
        return new Leftover(kind, item, reason, null);
    }

    public boolean isRemoved() {
        return failure == null;
    }

    /** One line for a log: what, why, and what became of it. */
    public String describe() {
        return (isRemoved() ? "removed " : "cannot remove ") + kind + " " + item + " (" + reason + ")"
                + (isRemoved() ? "" : ": " + failure);
    }
}
