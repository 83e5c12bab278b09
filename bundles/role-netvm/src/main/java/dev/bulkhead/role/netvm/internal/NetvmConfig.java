package dev.bulkhead.role.netvm.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Bulkhead NetVM role",
        description = "The uplink of NetVM qubes. Off until configured: a NetVM without an uplink reaches nothing.")
@interface NetvmConfig {
    String PID = "dev.bulkhead.role.netvm";

    @AttributeDefinition(description = "none (no uplink), veth (a new veth pair to a host namespace), move (a host interface"
            + " moved into the NetVM) or macvlan (a macvlan on a host interface)")
    String uplink_mode() default "none";

    @AttributeDefinition(description = "veth: name of the host-side end to create; move and macvlan: the host interface")
    String uplink_host__interface() default "";

    @AttributeDefinition(description = "veth only: the network namespace the host-side end goes into (empty: the host's own)")
    String uplink_host__namespace() default "";

    @AttributeDefinition(description = "Address of the NetVM on the uplink, as CIDR (e.g. 198.51.100.2/24)")
    String uplink_address() default "";

    @AttributeDefinition(description = "Default gateway on the uplink")
    String uplink_gateway() default "";

    @AttributeDefinition(description = "Upstream DNS resolvers the virtual DNS addresses are forwarded to, comma separated;"
            + " empty: DNS queries are dropped")
    String dns() default "";
}
