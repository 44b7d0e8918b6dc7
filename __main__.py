"""fate-federation: the stack's role (party, exchange or local) comes from `fate-federation:role`."""

import pulumi

from stacks.main import main

pulumi.run(main)
