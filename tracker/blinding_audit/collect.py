"""Everything each blinded role may read about the trial, read as that role: every GET route of the OpenAPI
document and every page of the URL map it may open, with real IDs in the path, lists paged to the end, PDFs
as text, CSVs, headers; and snapshots of the count-bearing answers before and after each preparation."""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tracker.blinding import UNBLINDED_ROLES
from tracker.blinding_audit.client import Client
from tracker.blinding_audit.trial import BagTruth, Trial

# Query parameters that some pages need and the URL map cannot tell: the report pages of one bag or person,
# which hand out the API's file (one builder). They are read for a sample of bags and compared with the API's
# answer; only when one differs are they read for every bag.
PAGE_QUERIES = {
    "/reports/custody.pdf": ("bag_id", "/api/v1/bags/{bag_id}/custody.pdf"),
    "/reports/record.pdf": ("participant_id", "/api/v1/participants/{participant_id}/record.pdf"),
}
PAGE_SAMPLE = 12
WARD_ROLES = ("nurse", "investigator")  # who handles the bag itself and reads its label
BEARER = ("/api/", "/fhir/")  # paths answered to bearer tokens, never to page sessions
FHIR_SAMPLE = 4  # reads of each FHIR route but the Bundle, per role
_STAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?( ?UTC|Z|[+-]\d\d:?\d\d)?")
KEPT_HEADERS = re.compile(r"^(x-|content-disposition|etag|last-modified)", re.IGNORECASE)
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.DOTALL | re.IGNORECASE)
_PARAM = re.compile(r"\{([a-z_]+)\}|<(?:[a-z]+:)?([a-z_]+)>")
AUDIT_PAGE = 500


@dataclass
class Reading:
    """One answer a role received, kept whole enough for every attack."""

    role: str
    kind: str  # "api" or "page"
    route: str  # the template: /api/v1/bags/{bag_id}
    url: str
    status: int
    mimetype: str
    size: int
    headers: dict[str, str]
    raw: str  # the body as text (JSON, HTML, CSV, PDF text)
    data: Any = None  # parsed JSON
    text: str = ""  # what a person reads: HTML without tags, PDF text
    subject: int | None = None  # the bag (index) this answer is about, from the IDs in its URL
    pdf_pages: int = 0
    rows: list | None = None  # the rows of a list answer about each bag, found once for every attack


@dataclass
class Collection:
    readings: list[Reading] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # routes that could not be filled in
    findings: list[str] = field(default_factory=list)  # defects seen while collecting (paging)
    audit: dict[str, list[dict]] = field(default_factory=dict)  # role -> every audit event it can read
    snapshots: dict[str, list[tuple[int, str, dict[str, float]]]] = field(default_factory=dict)

    def of(self, role: str) -> list[Reading]:
        return [r for r in self.readings if r.role == role]


def blinded_roles(doc: dict[str, Any], app: Any) -> list[str]:
    """Every role named by the OpenAPI document or a page guard that is not unblinded."""
    named: set[str] = set()
    for operations in doc["paths"].values():
        for op in operations.values():
            named.update(_roles_of(op))
    for view in app.view_functions.values():
        named.update(getattr(view, "required_roles", ()) or ())
    from tracker.roles import ROLES

    return [role for role in ROLES if role in named and role not in UNBLINDED_ROLES]


def _roles_of(operation: dict[str, Any]) -> tuple[str, ...]:
    match = re.search(r"Roles: ([a-z_, ]+)\.", operation.get("description", ""))
    return tuple(r.strip() for r in match[1].split(",")) if match else ()


@functools.lru_cache(maxsize=512)
def pdf_text(data: bytes) -> tuple[str, int]:
    """The text of a PDF, line by line as a person reads it, and its page count; the same file read twice is
    extracted once. PDFium (pypdfium2) reads a report about ten times faster than pypdf, which counted for a
    sixth of the audit's time."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:  # a PDF that does not parse is still read for its size
        return f"<unreadable pdf: {type(error).__name__}>", 0
    try:
        pages = []
        for page in document:
            text = page.get_textpage()
            pages.append(text.get_text_bounded().replace("\r\n", "\n"))
            text.close()
            page.close()
        return "\n".join(pages), len(pages)
    finally:
        document.close()


def page_text(markup: str) -> str:
    return html.unescape(re.sub(r"[ \t]+", " ", _TAG.sub(" ", markup)))


def reading_of(role: str, kind: str, route: str, url: str, response: Any, subject: int | None) -> Reading:
    mimetype = response.mimetype or ""
    body = response.get_data()
    headers = {k: v for k, v in response.headers.items() if KEPT_HEADERS.match(k)}
    reading = Reading(role, kind, route, url, response.status_code, mimetype, len(body), headers, "")
    reading.subject = subject
    if mimetype == "application/pdf":
        reading.raw, reading.pdf_pages = pdf_text(body)
        reading.text = reading.raw
    elif mimetype in ("application/json", "application/fhir+json"):
        reading.raw = body.decode("utf-8", "replace")
        reading.data = response.get_json(silent=True)
        reading.text = reading.raw
    elif mimetype.startswith("text/") or not mimetype:
        reading.raw = body.decode("utf-8", "replace")
        reading.text = page_text(reading.raw) if mimetype == "text/html" else reading.raw
    else:
        reading.raw = f"<{len(body)} bytes of {mimetype}>"
    return reading


class Collector:
    def __init__(self, client: Client, trial: Trial) -> None:
        self.c = client
        self.trial = trial
        self.doc = client.api.get("/api/v1/openapi.json").get_json()
        self.roles = blinded_roles(self.doc, client.app)
        self.out = Collection()
        self._snapshot_routes: dict[str, list[tuple[str, str, str]]] = {}
        self._changes: dict[tuple[str, str], list[tuple]] = {}
        self._audit_after: dict[str, int] = {}
        self._preparations = 0

    # -- IDs for the path parameters --

    def ids(self) -> dict[str, list[tuple[str, int | None]]]:
        """Real values for each path parameter, with the bag they belong to (None for lots, containers)."""
        bags = [b for b in self.trial.bags if b.bag_id]
        return {
            "bag_id": [(b.bag_id, b.index) for b in bags],
            "participant_id": [(b.participant_id, b.index) for b in bags],
            "infusion_id": [(b.infusion_id, b.index) for b in bags if b.infusion_id],
            "scan_id": [(s, b.index) for b in bags for s in b.scan_ids if s],
            "code": [(b.code, b.index) for b in bags],
            "randomization_code": [(b.code, b.index) for b in bags],
            "lot_number": [(lot, None) for lot in self.trial.lots],
            "container_id": [(c, None) for c in self.trial.containers],
            "thaw_id": [(t.thaw_id, None) for t in self.trial.thaws if t.thaw_id],
            "list_id": [(self.trial.list_id, None)] if self.trial.list_id else [],
            "deviation_id": self._deviation_ids(bags),
            "ae_id": self._adverse_event_ids(bags),
        }

    def _deviation_ids(self, bags: list) -> list[tuple[str, int | None]]:
        """The deviations raised on the trial's bags (a STOP, a void ...), each with its bag: read as the
        unblinded pharmacist, so that every blinded role's view of each can be compared between the arms."""
        index = {b.bag_id: b.index for b in bags}
        listed = self.c.json("pharmacist", "GET", "/api/v1/deviations")["items"]
        return [(d["deviation_id"], index[d["bag_id"]]) for d in listed if d.get("bag_id") in index]

    def _adverse_event_ids(self, bags: list) -> list[tuple[str, int | None]]:
        """The adverse events recorded at the trial's infusions, each with its bag, as the trial recorded them
        (the answer key), so that every blinded reader's view of each is compared between the arms."""
        index = {ae_id: b.index for b in bags for ae_id in b.ae_ids}
        return sorted(index.items())

    def _fill(
        self, template: str, values: dict[str, list[tuple[str, int | None]]]
    ) -> Iterable[tuple[str, int | None]]:
        names = [a or b for a, b in _PARAM.findall(template)]
        if not names:
            yield template, None
            return
        if len(names) > 1:
            self.out.skipped.append(f"{template}: more than one path parameter")
            return
        name = names[0]
        if not values.get(name):
            self.out.skipped.append(f"{template}: no IDs known for {{{name}}}")
            return
        for value, subject in values[name]:
            yield _PARAM.sub(value, template, count=1), subject

    def api_routes(self, role: str) -> list[str]:
        return sorted(
            path
            for path, ops in self.doc["paths"].items()
            if "get" in ops and role in _roles_of(ops["get"]) and path != "/api/v1/openapi.json"
        )

    def page_routes(self, role: str) -> list[str]:
        rules = []
        for rule in self.c.app.url_map.iter_rules():
            roles = getattr(self.c.app.view_functions[rule.endpoint], "required_roles", None)
            if "GET" in rule.methods and roles and role in roles and not rule.rule.startswith(BEARER):
                rules.append(rule.rule)
        return sorted(set(rules))

    def fhir_routes(self, role: str) -> list[str]:
        """The FHIR API's routes this role may read (tracker/fhir): described by /fhir/metadata, not the
        OpenAPI document, and answered to bearer tokens like the API."""
        return sorted(
            {
                rule.rule
                for rule in self.c.app.url_map.iter_rules()
                if rule.rule.startswith("/fhir/")
                and "GET" in rule.methods
                and role in (getattr(self.c.app.view_functions[rule.endpoint], "required_roles", ()) or ())
            }
        )

    def _fhir_ids(self, values: dict[str, list[tuple[str, int | None]]]) -> None:
        """The FHIR resources' own IDs (issues, bedside checks, audit provenance) with their bag, as the
        pharmacist's Bundle of each participant names them; searches take the participant in the query."""
        dispenses, provenance = [], []
        for participant_id, subject in values["participant_id"]:
            url = f"/fhir/Patient/{participant_id}/$everything"
            bundle = self.c.json("pharmacist", "GET", url)
            for entry in bundle.get("entry", []):
                resource = entry["resource"]
                if resource["resourceType"] == "BiologicallyDerivedProductDispense":
                    dispenses.append((resource["id"], subject))
                elif resource["resourceType"] == "Provenance":
                    provenance.append((resource["id"], subject))
        values["dispense_id"], values["provenance_id"] = dispenses, provenance

    # -- the final collection --

    def collect(self) -> Collection:
        values = self.ids()
        self._labels()
        self._fhir_ids(values)
        for role in self.roles:
            for route in self.fhir_routes(role):
                template = route if _PARAM.search(route) else f"{route}?patient=<participant_id>"
                filled = list(self._fill(template, values))
                # Each participant's Bundle holds every resource the other routes answer one by one (the
                # FHIR tests prove an entry equals its resource read alone): the Bundle is read for every
                # participant, each other route for a few, which keeps the audit's time (and CI's) in bounds.
                for url, subject in filled if route.endswith("$everything") else filled[:FHIR_SAMPLE]:
                    self._read(role, "api", route, url, subject)
            for route in self.api_routes(role):
                if route == "/api/v1/audit":
                    self._audit(role)
                    continue
                if route.endswith("/audit/export.pdf"):
                    self._read(role, "api", route, f"{route}?{self._first_day()}", None)
                    continue
                for url, subject in self._fill(route, values):
                    self._read(role, "api", route, url, subject)
            for rule in self.page_routes(role):
                if rule == "/audit":
                    self._audit_pages(role)
                    continue
                if rule.endswith("/audit.pdf"):
                    self._read(role, "page", rule, f"{rule}?{self._first_day()}", None)
                    continue
                if rule in PAGE_QUERIES:
                    self._page_files(role, rule, values)
                    continue
                for url, subject in self._fill(rule, values):
                    self._read(role, "page", rule, url, subject)
        return self.out

    def _labels(self) -> None:
        """What the ward reads on the bag itself: the printed label and the QR payload its scanner reads."""
        for role in (r for r in WARD_ROLES if r in self.roles):
            for bag in self.trial.bags:
                if bag.label_pdf:
                    text, pages = pdf_text(bag.label_pdf)
                    self._add_label(
                        role, bag, "the printed label (PDF)", "application/pdf", bag.label_pdf, text
                    )
                    self.out.readings[-1].pdf_pages = pages
                if bag.qr_payload:
                    payload = bag.qr_payload
                    self._add_label(
                        role, bag, "the QR payload (scanner text)", "text/plain", payload.encode(), payload
                    )

    def _add_label(self, role: str, bag: BagTruth, what: str, mimetype: str, body: bytes, text: str) -> None:
        reading = Reading(role, "label", what, f"{what} of {bag.bag_id}", 200, mimetype, len(body), {}, text)
        reading.text, reading.subject = text, bag.index
        self.out.readings.append(reading)

    def _page_files(self, role: str, rule: str, values: dict[str, list[tuple[str, int | None]]]) -> None:
        name, api_route = PAGE_QUERIES[rule]
        template = f"{rule}?{name}={{{name}}}"
        api = {r.subject: r for r in self.out.readings if r.role == role and r.route == api_route}
        differs = False
        for count, (value, subject) in enumerate(values[name]):
            if count >= PAGE_SAMPLE and not differs:
                self.out.skipped.append(
                    f"{template} as {role}: read for {count} of {len(values[name])} bags, each the same file "
                    f"as {api_route} but for times"
                )
                return
            page = self._read(role, "page", template, f"{rule}?{name}={value}", subject)
            twin = api.get(subject)
            differs = differs or twin is None or _masked(page.text) != _masked(twin.text)

    def _first_day(self) -> str:
        """A printable trail is for a filtered view (the app refuses over 5,000 events): the first day."""
        start = self.trial.started.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
        end = start + dt.timedelta(days=1)
        return urlencode({"since": start.isoformat(), "until": end.isoformat()})

    def _read(self, role: str, kind: str, route: str, url: str, subject: int | None) -> Reading:
        response = self.c.call(role, "GET", url) if kind == "api" else self.c.page(role, url)
        reading = reading_of(role, kind, route, url, response, subject)
        self.out.readings.append(reading)
        return reading

    def _audit(self, role: str) -> None:
        """The whole trail through `/audit`, paged by `next_after_seq`; where paging stops early (a page
        shortened by redaction says there is no next page) the pages are followed from the last event."""
        events: list[dict] = []
        after, stopped_early = 0, None
        while True:
            url = f"/api/v1/audit?after_seq={after}&limit={AUDIT_PAGE}"
            reading = self._read(role, "api", "/api/v1/audit", url, None)
            page = (reading.data or {}).get("events", [])
            events.extend(page)
            nxt = (reading.data or {}).get("next_after_seq")
            if nxt is None and page:
                # A short page means the end only if nothing follows: ask once more from the last event.
                probe = self.c.json(
                    role, "GET", f"/api/v1/audit?after_seq={page[-1]['seq']}&limit={AUDIT_PAGE}"
                )
                if probe.get("events"):
                    stopped_early = stopped_early or (len(events), page[-1]["seq"])
                    nxt = page[-1]["seq"]
            if nxt is None or not page:
                break
            after = nxt
        if stopped_early:
            self.out.findings.append(
                f"PAGING {role}: GET /audit said there was no next page after {stopped_early[0]} events "
                f"(up to seq {stopped_early[1]}), yet the trail holds {len(events)} events for this role: a "
                "page shortened by redaction ends paging early (the pages were followed from its last event)"
            )
        self.out.audit[role] = events

    def _audit_pages(self, role: str) -> None:
        url = "/audit"
        for _ in range(10_000):
            reading = self._read(role, "page", "/audit", url, None)
            nxt = re.search(r'href="([^"]*after_seq=\d+[^"]*)"[^>]*>[^<]*', reading.raw)
            if not nxt:
                return
            url = html.unescape(nxt[1])

    # -- snapshots around each preparation --

    def snapshot_routes(self, role: str) -> list[tuple[str, str, str]]:
        """(kind, route, url) of the count-bearing answers: API lists and lots, and the pages with no path
        parameter; not PDFs and full exports (the audit is read as the events since the last snapshot)."""
        if role not in self._snapshot_routes:
            lots = [(lot, None) for lot in self.trial.lots]
            routes = []
            for route in self.api_routes(role):
                if route.endswith(".pdf") or "export" in route:
                    continue
                if route == "/api/v1/audit":
                    routes.append(("audit", route, route))
                    continue
                params = [a or b for a, b in _PARAM.findall(route)]
                if not params:
                    routes.append(("api", route, route))
                elif params == ["lot_number"]:
                    routes += [("api", route, url) for url, _ in self._fill(route, {"lot_number": lots})]
            for rule in self.page_routes(role):
                if (
                    not _PARAM.search(rule)
                    and not rule.endswith((".pdf", ".csv"))
                    and rule not in PAGE_QUERIES
                    and rule != "/audit"  # the API's audit tail says the same, at a fraction of the cost
                ):
                    routes.append(("page", rule, rule))
            self._snapshot_routes[role] = routes
        return self._snapshot_routes[role]

    def snapshot(self, moment: str, bag: BagTruth | None) -> None:
        """Numbers of every count-bearing answer, as each blinded role. After the first preparations only the
        answers whose numbers changed differently from one preparation to another are read again: one that
        never moves, or moves the same way every time, cannot tell one bag from another."""
        if bag is None:
            return
        from tracker.blinding_audit.features import numbers_of

        for role in self.roles:
            values: dict[str, float] = {}
            for kind, route, url in self.snapshot_routes(role):
                key = (role, url)
                if self._preparations >= PRUNE_AFTER and not self._varies(key):
                    continue  # its numbers never moved, or moved the same way at (nearly) every preparation
                if kind == "audit":
                    after = self._audit_after.get(role, 0)
                    data = self.c.json(role, "GET", f"/api/v1/audit?after_seq={after}&limit={AUDIT_PAGE}")
                    events = data.get("events", [])
                    if events:
                        self._audit_after[role] = events[-1]["seq"]
                    numbers = {
                        "new_events": float(len(events)),
                        "head_seq": float(events[-1]["seq"] if events else after),
                    }
                else:
                    response = self.c.call(role, "GET", url) if kind == "api" else self.c.page(role, url)
                    reading = reading_of(role, kind, route, url, response, None)
                    numbers = numbers_of(reading)
                for name, number in numbers.items():
                    values[f"{url} {name}"] = number
            self.out.snapshots.setdefault(role, []).append((bag.index, moment, values))
        if moment == "after":
            self._preparations += 1
            self._mark_moving()

    def _mark_moving(self) -> None:
        """Remember how each answer's numbers changed at this preparation (times aside: they always move)."""
        for role, shots in self.out.snapshots.items():
            if len(shots) < 2 or shots[-2][1] != "before" or shots[-2][0] != shots[-1][0]:
                continue
            before, after = shots[-2][2], shots[-1][2]
            changes: dict[str, list[tuple[str, float]]] = {}
            for name in set(before) | set(after):
                delta = after.get(name, 0.0) - before.get(name, 0.0)
                if delta and not name.endswith("@t"):
                    changes.setdefault(name.split(" ", 1)[0], []).append((name, delta))
            for _kind, _route, url in self.snapshot_routes(role):
                self._changes.setdefault((role, url), []).append(tuple(sorted(changes.get(url, []))))

    def _varies(self, key: tuple[str, str]) -> bool:
        """Whether at least two preparations changed this answer otherwise than the usual way."""
        seen = self._changes.get(key, [])
        usual = max((seen.count(s) for s in set(seen)), default=0)
        return len(seen) - usual >= 2


def _masked(text: str) -> str:
    return _STAMP.sub("<time>", text)


PRUNE_AFTER = 16  # preparations read in full before the snapshots keep only the answers that move
