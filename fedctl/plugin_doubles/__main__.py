"""Entry point of the stand-in (test-double) tls/random plugins; not the real providers (see __init__)."""

from __future__ import annotations

import sys

from fedctl.plugin_doubles.packages import PACKAGES
from fedctl.plugin_doubles.server import serve


def main(argv: list[str]) -> int:
    """The engine starts a plugin as `pulumi-resource-NAME [flags] ENGINE-ADDRESS`; the wrapper script
    puts the package name first. The engine address is not needed: the doubles log nothing to the engine."""
    if not argv or argv[0] not in PACKAGES:
        print(f"usage: python -m fedctl.plugin_doubles {'|'.join(PACKAGES)} [engine-address]", file=sys.stderr)
        return 2
    serve(PACKAGES[argv[0]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
