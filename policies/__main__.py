"""Entry point of the CrossGuard pack: `pulumi preview --policy-pack policies`.

Only builds the pack: PolicyPack() serves the engine and blocks forever, so tests and tools import
`policies.matih_policies` instead.
"""

import sys
from pathlib import Path

# The engine runs the pack from this directory in its own virtualenv; the policies read the project's pure
# planning modules (bucket catalog, naming, erasure rules) from the directory above.
PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

from policies.matih_policies import build_policy_pack  # noqa: E402

build_policy_pack()
