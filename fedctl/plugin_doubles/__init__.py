"""Stand-in (test-double) `pulumi-resource-tls` and `pulumi-resource-random` plugins for the real engine.

NOT the real pulumi-tls / pulumi-random providers: the Go module proxy refuses those (and the Terraform
providers they bridge) at every version tried (docs/real-engine.md, "Stand-in tls and random plugins"),
so the repository's own stacks could not run under the real engine at all. These doubles speak the real
ResourceProvider gRPC protocol with the providers' wire names and replace-on-any-change semantics, and
take their outputs from the existing emulations (fedctl.tls_emulation: real keys and certificates made
with `cryptography`; fedctl.random_emulation: pulumi-random's rules, plus a real bcrypt hash).

    python -m fedctl.plugin_doubles tls|random [engine-address]
"""
