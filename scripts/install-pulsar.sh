#!/usr/bin/env bash
# Resolve (once) the real Apache Pulsar broker the federation tests start as standalone brokers
# (tests/support/pulsar_peer.py), from Maven Central with Maven: pulsar-broker and its dependencies are
# copied into a cache folder keyed by a hash of the inputs (scripts/pulsar/ and this script). A complete
# folder (.complete marker) is reused; a half-built one is rebuilt. Prints the folder as its LAST stdout
# line (everything else goes to stderr): the Makefile reads it with `tail -n 1`.
# The folder holds lib/*.jar, conf/log4j2.xml, VERSION, and python/: the Python client FATE 2.2 pins
# (pulsar-client 3.4.0, pyfate's `pulsar` extra), which FATE's own federation code and the tests import
# (PYTHONPATH). Run a broker with
#   java -cp "DIR/lib/*" -Dlog4j.configurationFile=DIR/conf/log4j2.xml \
#        org.apache.pulsar.PulsarStandaloneStarter --config standalone.conf -nss -nfw
set -euo pipefail
PULSAR_PYTHON_CLIENT=3.4.0
here="$(cd "$(dirname "$0")" && pwd)"
inputs="$here/pulsar"
key="$(cat "$inputs/pom.xml" "$inputs/log4j2.xml" "$0" | sha256sum | cut -c1-12)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/fate-federation"
home="$cache/pulsar-$key"
mkdir -p "$cache"
exec 9>"$cache/pulsar-$key.lock"
flock 9
if [ -f "$home/.complete" ]; then echo "$home"; exit 0; fi
if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
  echo "installing Java 17 and Maven (Debian packages)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless maven >/dev/null
fi
rm -rf "$home"
mkdir -p "$home/lib" "$home/conf"
echo "resolving the Pulsar broker into $home (a few minutes, once)" >&2
# Maven's own repository stays in the cache too, so a rebuild after an input change downloads little.
mvn -B -q -f "$inputs/pom.xml" -Dmaven.repo.local="$cache/m2" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$home/lib" >&2
cp "$inputs/log4j2.xml" "$home/conf/"
PIP_CACHE_DIR="$cache/pip" python3 -m pip install -q --disable-pip-version-check --no-deps \
    --target "$home/python" "pulsar-client==$PULSAR_PYTHON_CLIENT" >&2
PYTHONPATH="$home/python" python3 -c "import pulsar" >&2
version="$(sed -n 's:.*<pulsar.version>\(.*\)</pulsar.version>.*:\1:p' "$inputs/pom.xml")"
echo "$version" >"$home/VERSION"
# The standalone starter must load: fail here, not in every test.
java -cp "$home/lib/*" org.apache.pulsar.PulsarStandaloneStarter --help >"$home/starter-help.txt" 2>&1 || true
grep -q -- "--config" "$home/starter-help.txt" || { cat "$home/starter-help.txt" >&2; exit 1; }
touch "$home/.complete"
echo "$home"
