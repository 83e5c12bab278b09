package dev.bulkhead.setup.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** What a setup makes; each default can be declined. The first start acts only where it is turned on. */
@ObjectClassDefinition(name = "Bulkhead setup", description = "What the first start (and qvm:setup) makes on an empty platform,"
        + " as Qubes' initial setup does; each default can be declined here")
@interface SetupConfig {
    String PID = "dev.bulkhead.setup";

    @AttributeDefinition(description = "Set the platform up at its first start (a data directory with no qubes); off unless"
            + " configured, the distribution turns it on. qvm:setup does it on an empty platform either way")
    boolean first_start() default false;

    @AttributeDefinition(description = "The template installed from the installation's templates/ directory (NAME-VERSION.bht)"
            + " and made default_template; empty: none is installed and the default template stays as it is")
    String template() default "bulkhead-debian";

    @AttributeDefinition(description = "sys-net (red): the NetVM, role netvm, starts with the platform; its uplink is off until"
            + " configured (qvm:setup --uplink)")
    boolean sys_net() default true;

    @AttributeDefinition(description = "sys-firewall (green): the FirewallVM behind sys-net, role firewall, starts with the"
            + " platform, and default_netvm")
    boolean sys_firewall() default true;

    @AttributeDefinition(description = "default-dvm (red): the disposable template (template_for_dispvms), and default_dispvm")
    boolean default_dvm() default true;

    @AttributeDefinition(description = "work (blue)")
    boolean work() default true;

    @AttributeDefinition(description = "personal (yellow)")
    boolean personal() default true;

    @AttributeDefinition(description = "untrusted (red)")
    boolean untrusted() default true;

    @AttributeDefinition(description = "vault (black), with no network at all")
    boolean vault() default true;
}
