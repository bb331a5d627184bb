"""The exposure dataset in CDISC SDTM EX form: one row per infusion, blinded but for the statistician."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tracker.db import UnitOfWork
from tracker.pharmacy.models import Bag
from tracker.randomization import allocation
from tracker.roles import Actor
from tracker.studies.services import current_study
from tracker.ward.models import Infusion

EX_COLUMNS = (
    "STUDYID", "DOMAIN", "USUBJID", "EXSEQ", "EXTRT", "EXDOSE", "EXDOSU", "EXROUTE", "EXSTDTC", "EXENDTC",
)  # fmt: skip
# The unmasked treatment name per material, for the statistician's dataset only.
TREATMENT_BY_MATERIAL = {"ucmsc": "UC-MSC", "placebo": "PLACEBO"}
ROUTE = "INTRAVENOUS"


def _iso(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value is not None else ""


def exposure_rows(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """EX rows ordered by subject. EXDOSE is the infused volume in mL for every reader (the same for both
    arms); EXTRT is the study's blinded treatment name except for an unblinded reader."""
    with uow:
        session = uow.session
        study = current_study(session)
        study_id = study.code.upper()
        unmasked = actor.unblinded
        rows = session.execute(
            select(Infusion, Bag).join(Bag, Bag.id == Infusion.bag_pk).order_by(Infusion.participant_id)
        ).all()
        dataset = []
        for infusion, bag in rows:
            treatment = study.label["blinded_treatment_name"]
            if unmasked:
                arm = allocation.arm_of(session, actor, bag.randomization_code)
                treatment = TREATMENT_BY_MATERIAL.get(study.material_of_arm(arm), arm.upper())
            dataset.append(
                {
                    "STUDYID": study_id,
                    "DOMAIN": "EX",
                    "USUBJID": f"{study_id}-{infusion.participant_id}",
                    "EXSEQ": 1,  # one dose per participant: the database allows one infusion each
                    "EXTRT": treatment,
                    "EXDOSE": infusion.volume_infused_ml if infusion.volume_infused_ml is not None else "",
                    "EXDOSU": "mL",
                    "EXROUTE": ROUTE,
                    "EXSTDTC": _iso(infusion.started_at),
                    "EXENDTC": _iso(infusion.completed_at),
                }
            )
        return dataset
