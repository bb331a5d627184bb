"""Run by audit_bench in a fresh interpreter, so that its peak RSS is the verification's alone."""

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.orm import Session  # noqa: E402

import tracker.models  # noqa: E402, F401 - every table, for the records check
from tracker.audit.verification import verify_chain  # noqa: E402
from tracker.db import make_engine  # noqa: E402

engine = make_engine(sys.argv[1])
start = time.perf_counter()
with Session(engine) as session:
    result = verify_chain(session)
elapsed = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "ok": result.ok, "events": result.events, "rows": result.rows, "seconds": elapsed, "peak_kb": peak_kb,
    "problem": result.problem, "record_problems": [str(p) for p in result.record_problems[:3]],
}))  # fmt: skip
