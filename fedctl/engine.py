"""Former home of the engine mocks, kept so existing imports (`fedctl.engine`) keep working.

Everything lives in fedctl.mocks now (the one place for it); import from there in new code.
"""

from fedctl.mocks import *  # noqa: F401,F403 (re-export)
from fedctl.mocks import _CapturingMonitor  # noqa: F401 (tests observe the monitor's RegisterResource)
