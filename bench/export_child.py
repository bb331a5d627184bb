"""Run by export_bench in a fresh interpreter, so that its peak RSS is the export's alone."""

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracker import create_app  # noqa: E402
from tracker.errors import Conflict  # noqa: E402
from tracker.roles import SYSTEM  # noqa: E402
from tracker.users.services import create_user  # noqa: E402
from tracker.web.context import uow  # noqa: E402

PASSWORD = "Bench-password-1"  # noqa: S105 - a scratch database of the benchmark

app = create_app(
    {"DATABASE_URL": sys.argv[1], "AUTO_MIGRATE": False, "SECRET_KEY": "b", "QR_SIGNING_KEY": "b"}
)
with app.app_context():
    try:
        create_user(uow(), SYSTEM, "bench_qa", "qa", PASSWORD, "Bench QA")
    except Conflict:
        pass
client = app.test_client()
token = client.post("/api/v1/auth/token", json={"username": "bench_qa", "password": PASSWORD}).json["token"]
start = time.perf_counter()
response = client.get(
    "/api/v1/audit/export.csv", headers={"Authorization": f"Bearer {token}"}, buffered=False
)
rows = sum(chunk.count(b"\n") for chunk in response.response)
elapsed = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": rows, "seconds": elapsed, "peak_kb": peak_kb}))
