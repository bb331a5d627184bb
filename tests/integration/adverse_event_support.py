"""What the adverse event tests share: the events they record and a trial with one infusion of each arm."""

from __future__ import annotations

from tests.pharmacy_support import build_trial
from tests.ward_support import move, scan, start

SERIOUS = {
    "description": "Rigors and hypotension 20 minutes into the infusion",
    "grade": 3,
    "serious": True,
    "seriousness_criteria": ["hospitalisation", "other_medically_important"],
    "actions_taken": ["infusion_stopped", "treated"],
    "treatment": "Paracetamol 1 g IV, saline bolus",
}
MILD = {"description": "Flushing", "grade": 1, "serious": False, "actions_taken": ["infusion_slowed"]}


def one_infusion_per_arm(login, runner, tmp_path):  # noqa: ANN001, ANN201
    """A trial with one infusion of each arm, started now (`trial.infusions[arm]`)."""
    trial = build_trial(login, runner, tmp_path, per_arm=1, kits=2)
    trial.infusions = {}
    for arm in ("active", "placebo"):
        ((participant_id, code),) = trial.of_arm(arm)
        bag = trial.prepare(code, arm)
        move(trial, bag["bag_id"], "dispatch", "receive")
        assert scan(trial, bag["qr_payload"], participant_id).status_code == 200
        started = start(trial, bag["bag_id"], participant_id)
        assert started.status_code == 201, started.json
        trial.infusions[arm] = started.json
    return trial
