package dev.bulkhead.gui.agent;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * Lets the agent's X thread sleep until its X connection has something to read or another thread
 * has work for it: poll(2) on the X connection's descriptor and an eventfd that {@link #wake}
 * makes readable. Nothing runs while neither happens. The eventfd lives as long as the agent's
 * process: another thread may still wake it after the X thread has returned.
 */
final class Wakeup {
    private static final int EFD_NONBLOCK = 04000;
    private static final int EFD_CLOEXEC = 02000000;
    private static final short POLLIN = 1;
    /** struct pollfd: int fd, short events, short revents. */
    private static final int POLLFD_BYTES = 8;

    /** The libc calls it takes. */
    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int eventfd(int initval, int flags);

        int poll(Pointer fds, NativeLong nfds, int timeout);

        NativeLong read(int fd, Pointer buffer, NativeLong count);

        NativeLong write(int fd, Pointer buffer, NativeLong count);
    }

    private final int eventFd;
    private final Memory pollFds = new Memory(2L * POLLFD_BYTES);
    private final Memory drained = new Memory(8);

    Wakeup() {
        eventFd = LibC.INSTANCE.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (eventFd < 0) {
            throw new IllegalStateException("eventfd failed with errno " + Native.getLastError());
        }
    }

    /** Ends the X thread's current or next {@link #await}; any thread may call it. */
    void wake() {
        Memory one = new Memory(8);
        one.setLong(0, 1);
        LibC.INSTANCE.write(eventFd, one, new NativeLong(8));
    }

    /**
     * Blocks until {@code fd} is readable or {@link #wake} was called since the last return (or until
     * a signal), and clears the wake. Called by the X thread only.
     */
    void await(int fd) {
        pollFds.setInt(0, fd);
        pollFds.setShort(4, POLLIN);
        pollFds.setShort(6, (short) 0);
        pollFds.setInt(POLLFD_BYTES, eventFd);
        pollFds.setShort(POLLFD_BYTES + 4, POLLIN);
        pollFds.setShort(POLLFD_BYTES + 6, (short) 0);
        LibC.INSTANCE.poll(pollFds, new NativeLong(2), -1);
        if ((pollFds.getShort(POLLFD_BYTES + 6) & POLLIN) != 0) {
            LibC.INSTANCE.read(eventFd, drained, new NativeLong(8));
        }
    }
}
