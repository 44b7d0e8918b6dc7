// Command pulumi-resource-kubernetes serves the upstream Kubernetes provider.
//
// Upstream's main embeds schema-embed.json and terraform-mapping-embed.json, which are generated and not in
// the published module; scripts/build-engine.sh writes both beside this file (from the module's committed
// schema.json, with the version field set, and terraform-mapping.json) before building. The code served is
// upstream's, unchanged.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
