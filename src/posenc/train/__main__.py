"""``python -m posenc.train ...`` and ``torchrun --nproc_per_node=N -m posenc.train ...``.

Same options as ``posenc train``. Under torchrun every process runs this; rank 0 writes the run.
"""

import os
import sys

from posenc.cli import main


def _main() -> int:
    rc = main(["train", *sys.argv[1:]])
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # gloo on CPU: a normal interpreter exit after destroy_process_group() crashed a rank about
        # one run in ten (DESIGN.md, lessons) — flush and leave without the interpreter's teardown
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)
    return rc


if __name__ == "__main__":
    raise SystemExit(_main())
