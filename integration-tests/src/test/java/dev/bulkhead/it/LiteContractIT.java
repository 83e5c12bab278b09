package dev.bulkhead.it;

/** The backend contract on the lite backend (runc containers), which the platform picks by default on this host. */
public class LiteContractIT extends BackendContract {
    public LiteContractIT() {
        super("lite", Ability.VOLUME_REVISIONS);
    }

    @Override
    protected void useBackend() {
        // backend=auto picks lite on a host without hardware KVM, and lite is what BUNDLES brings alone
    }

    @Override
    protected String backendBundle() {
        return BACKEND_LITE;
    }

    /** runc's init of the qube's container. */
    @Override
    protected long domainProcess(String qube) {
        return containerInitPid(qube);
    }
}
