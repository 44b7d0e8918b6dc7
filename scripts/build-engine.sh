#!/usr/bin/env bash
# Build (once) the real Pulumi engine the engine tests run: the Pulumi CLI and the Kubernetes resource
# plugin, compiled from the Go module proxy through the pinned tools modules under tools/engine/, plus the
# two scripts the Python SDK's dynamic providers need (shipped inside the CLI's sdk module). Cached OUTSIDE
# the repo by a hash of the pins (tools/engine/*/go.mod, go.sum, main.go and this script); a complete build
# is reused, a half-built one (no .complete marker) is rebuilt. Prints the bin dir as its LAST stdout line
# (progress goes to stderr): the Makefile reads it with `tail -n 1`. What was built and what the proxy
# refused (the Python language host, the tls and random providers): docs/real-engine.md.
#
# Plugins are AMBIENT: the engine finds pulumi-resource-kubernetes and pulumi-resource-pulumi-python on
# PATH (the bin dir) whatever version the Python SDK asks for, and never downloads one (callers set
# PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true). The version the provider reports is its code's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tools="$(cd "$here/../tools/engine" && pwd)"
# The Kubernetes provider has no release tag the proxy resolves: the pin is the pseudo-version of the
# v4.25.0 release commit (tools/engine/kubernetes/go.mod); this is the version its binary reports.
kubernetes_release="4.25.0"
key="$(cat "$tools"/pulumi/go.mod "$tools"/pulumi/go.sum "$tools"/kubernetes/go.mod "$tools"/kubernetes/go.sum \
  "$tools"/kubernetes/main.go "$0" | sha256sum | cut -c1-12)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/fate-federation"
engine="$cache/engine-$key"
mkdir -p "$cache"
exec 9>"$cache/engine-$key.lock"
flock 9
if [ -f "$engine/.complete" ]; then echo "$engine/bin"; exit 0; fi
rm -rf "$engine"
mkdir -p "$engine/bin" "$engine/src"
export GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" PULUMI_SKIP_UPDATE_CHECK=true \
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
started=$SECONDS
say() { echo "[build-engine +$((SECONDS - started))s] $*" >&2; }
say "building the Pulumi engine in $engine (once: about 55 min on 2 busy cores with empty Go caches, minutes with warm ones)"

# Fetch every module of a tools module first, so a refusal names the module and version instead of
# surfacing as a compile error deep in a build.
download() {
  local dir="$1" errors
  say "fetching the modules of tools/engine/$(basename "$dir")"
  errors="$(mktemp)"
  (cd "$dir" && go mod download -json 2>"$errors" || true) | python3 -c '
import json, re, sys
text, stderr = sys.stdin.read(), open(sys.argv[1]).read()
decoder, pos, refused = json.JSONDecoder(), 0, []
while pos < len(text):
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    obj, pos = decoder.raw_decode(text, pos)
    if obj.get("Error"):
        path, version, error = obj["Path"], obj.get("Version", "?"), obj["Error"].splitlines()[-1].strip()
        refused.append(f"{path}@{version}: {error}")
# A module the graph itself needs (its go.mod) fails before any JSON is printed: go says so on stderr.
for line in stderr.splitlines():
    found = re.match(r"go: (\S+@\S+): (.*)", line)
    if found:
        refused.append(f"{found.group(1)}: {found.group(2)}")
    elif line.strip() and refused and not line.startswith("go: "):
        refused[-1] += " " + line.strip()
if refused:
    sys.exit("the Go module proxy refused:\n  " + "\n  ".join(refused)
             + "\npin a version it serves in tools/engine/*/go.mod (docs/real-engine.md lists what was tried)")
if not text.strip():
    sys.exit("go mod download printed nothing:\n" + stderr)
' "$errors"
  rm -f "$errors"
}

build() {  # build DIR OUT PACKAGE LDFLAGS...
  local dir="$1" out="$2" package="$3" t0=$SECONDS
  shift 3
  say "compiling $(basename "$out") ($package)"
  (cd "$dir" && go build -p 2 -trimpath -ldflags "-s -w $*" -o "$out" "$package")
  say "built $(basename "$out") in $((SECONDS - t0))s"
}

# 1. The Pulumi CLI, at the version the pulumi/pkg module pin names.
download "$tools/pulumi"
cli_version="$(cd "$tools/pulumi" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
build "$tools/pulumi" "$engine/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version"

# 2. The dynamic-provider plugin script and the language host's exec script, from the CLI's sdk module.
sdk_dir="$(cd "$tools/pulumi" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$engine/bin/"
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$engine/bin/"

# 3. The Kubernetes provider: our main.go (a copy, with the embedded files upstream generates).
download "$tools/kubernetes"
cp -r "$tools/kubernetes" "$engine/src/kubernetes"
k8s_dir="$(cd "$tools/kubernetes" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)"
python3 - "$k8s_dir/cmd/pulumi-resource-kubernetes" "$engine/src/kubernetes" "$kubernetes_release" <<'EOF'
import json, pathlib, sys
source, target, version = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
schema = json.loads((source / "schema.json").read_text())
schema["version"] = version
(target / "schema-embed.json").write_text(json.dumps(schema))
mapping = json.loads((source / "terraform-mapping.json").read_text())
(target / "terraform-mapping-embed.json").write_text(json.dumps(mapping))
EOF
build "$engine/src/kubernetes" "$engine/bin/pulumi-resource-kubernetes" . \
  "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$kubernetes_release"
rm -rf "$engine/src"

# 4. Smoke: the CLI reports its version, and lists no installed plugin (all are ambient).
[ "$("$engine/bin/pulumi" version)" = "$cli_version" ] || { echo "pulumi version is not $cli_version" >&2; exit 1; }
cat > "$engine/versions.txt" <<EOF
pulumi $cli_version
pulumi-resource-kubernetes $kubernetes_release ($(cd "$tools/kubernetes" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi-kubernetes/provider/v4))
pulumi-resource-pulumi-python (sdk $cli_version)
EOF
say "done: $(tr '\n' ';' < "$engine/versions.txt")"
touch "$engine/.complete"
echo "$engine/bin"
