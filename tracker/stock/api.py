"""Stock routes: the issue of containers in kits, the issued kits, and the pharmacy's stock."""

from flask import g

from tracker.stock import services
from tracker.stock.schemas import IssueAnswer, IssueRequest, KitList, PharmacyStock
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import reader, uow

bp = api_blueprint("stock_api", __name__)


@endpoint(bp, "/containers/issue", "POST", roles=("gmp", "pharmacist"),
          summary="Issue containers from the GMP lab's store to the pharmacy, in whole kits",
          body=IssueRequest, answers={201: IssueAnswer})  # fmt: skip
def issue_containers(body: dict):
    issued = services.issue_kits(uow(), g.actor, body["container_ids"], body["location"])
    return answer(IssueAnswer(), issued, 201)


@endpoint(bp, "/kits", "GET", roles=("gmp", "qa", "pharmacist"),
          summary="Every kit issued to the pharmacy, oldest first (no pharmacy use)",
          answers={200: KitList})  # fmt: skip
def list_kits():
    return answer(KitList(), {"items": services.issued_kits(reader())})


@endpoint(bp, "/stock", "GET", roles=("pharmacist",),
          summary="The pharmacy's stock: kits and containers with what became of each (unblinded)",
          answers={200: PharmacyStock})  # fmt: skip
def pharmacy_stock():
    return answer(PharmacyStock(), services.pharmacy_stock(reader()))
