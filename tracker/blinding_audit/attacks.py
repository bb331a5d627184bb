"""The attacks: each blinded role, with only what it read (and the study definition, the open source code and
every lot and container it may see), tries to tell each prepared bag's arm.

a. digest oracle: rebuild hashed encodings with the hidden fields guessed; a match names arm and container
b. time joins: every time it can read, joined to each bag's preparation
c. sequence and link gaps: gaps in the audit's seq, breaks in its prev_hash links, gaps in other ID sequences
d. counts: every number in the snapshots, before and after each preparation
e. single-feature classifier: every number and time derived per bag, one-threshold stumps, cross-validated
n. names the arm: an arm, material, lot number, container or thaw ID in what the role receives about a bag"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tracker.audit import rules as audit_rules
from tracker.blinding_audit import stats
from tracker.blinding_audit.collect import Collection, Reading
from tracker.blinding_audit.features import (
    as_time,
    bag_tokens,
    flatten,
    numbers_of,
    rows_about_bags,
    text_numbers,
)
from tracker.blinding_audit.trial import Trial

THRESHOLD = 0.65
PERMUTATIONS = 6
ATTACKS = {
    "a": "digest oracle",
    "b": "time joins",
    "c": "sequence and link gaps",
    "d": "counts around preparations",
    "e": "single-feature classifier",
    "n": "names the arm",
}
TOGETHER = "all blinded"  # every blinded role's readings pooled: staff comparing notes
_HEX = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32,128}(?![0-9a-fA-F])")
_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")
COVERAGE = 0.2
HORIZON = 4 * 3600.0  # a time join further apart than this is no join
ARM_WORDS = ("active", "placebo", "ucmsc", "vehicle")


@dataclass
class Study:
    """What every reader knows from the published study definition."""

    arm_of_material: dict[str, str]
    label_texts: list[str]

    @property
    def arms(self) -> list[str]:
        return sorted(set(self.arm_of_material.values()))


@dataclass
class Result:
    attack: str
    role: str
    accuracy: float
    floor_mean: float
    floor_max: float
    evidence: str
    decided: int = 0
    names: list[str] = field(default_factory=list)  # hard findings: a hidden value named outright


@dataclass
class View:
    """One role's readings, arranged for the attacks."""

    role: str
    readings: list[Reading]
    audit: list[dict]
    snapshots: list[tuple[int, str, dict[str, float]]]
    lots: dict[str, str] = field(default_factory=dict)  # lot number -> material, as this role can learn
    containers: dict[str, str] = field(default_factory=dict)  # container -> lot number
    anchors: dict[int, float] = field(default_factory=dict)  # bag -> prepared_at (epoch), as it sees it


def views(collection: Collection, roles: list[str]) -> list[View]:
    out = [
        View(r, collection.of(r), collection.audit.get(r, []), collection.snapshots.get(r, [])) for r in roles
    ]
    longest = max((collection.audit.get(r, []) for r in roles), key=len, default=[])
    pooled = [(bag, moment, {f"{r} {k}": v for k, v in numbers.items()})
              for r in roles for bag, moment, numbers in collection.snapshots.get(r, [])]  # fmt: skip
    merged: dict[tuple[int, str], dict[str, float]] = defaultdict(dict)
    for bag, moment, numbers in pooled:
        merged[(bag, moment)].update(numbers)
    out.append(View(TOGETHER, collection.readings, longest, [(b, m, n) for (b, m), n in merged.items()]))
    return out


# ---- what a role knows -----------------------------------------------------------------------------------


def learn(view: View, trial: Trial) -> None:
    """Lots with their material and containers with their lot, from lot answers and the audit trail; and the
    bag's preparation time as this role can see it."""
    for reading in view.readings:
        for item in _dicts(reading.data):
            if "lot_number" in item and item.get("material") in ("ucmsc", "placebo"):
                view.lots[item["lot_number"]] = item["material"]
            if "lot_number" in item and isinstance(item.get("containers"), list):
                for container in item["containers"]:
                    if isinstance(container, dict) and "container_id" in container:
                        view.containers[container["container_id"]] = item["lot_number"]
    for event in view.audit:
        after = event.get("after") or {}
        if event["entity_type"] == "lot" and after.get("material"):
            view.lots[event["entity_id"]] = after["material"]
        if event["entity_type"] == "container" and after.get("lot_number"):
            view.containers[event["entity_id"]] = after["lot_number"]
    bags = {b.bag_id: b.index for b in trial.bags}
    for reading in view.readings:
        if reading.subject is not None and reading.subject not in view.anchors:
            when = _find_key(reading.data, "prepared_at")
            if when is not None:
                view.anchors[reading.subject] = when.timestamp()
    for event in view.audit:
        index = bags.get(event["entity_id"]) if event["entity_type"] == "bag" else None
        if index is not None and index not in view.anchors:
            when = as_time((event.get("after") or {}).get("prepared_at") or "")
            if when is not None:
                view.anchors[index] = when.timestamp()
    for reading in view.readings:
        for item in _dicts(reading.data):
            index = bags.get(item.get("bag_id")) if isinstance(item.get("bag_id"), str) else None
            when = as_time(item.get("prepared_at") or "") if index is not None else None
            if when is not None and index not in view.anchors:
                view.anchors[index] = when.timestamp()


def _dicts(data: Any):  # noqa: ANN202
    if isinstance(data, dict):
        yield data
        for value in data.values():
            yield from _dicts(value)
    elif isinstance(data, list):
        for value in data:
            yield from _dicts(value)


def _find_key(data: Any, key: str):  # noqa: ANN202
    for item in _dicts(data):
        if key in item:
            when = as_time(item[key] or "")
            if when is not None:
                return when
    return None


def _material_of(view: View, item: dict) -> str:
    if item.get("material") in ("ucmsc", "placebo"):
        return item["material"]
    lot = item.get("lot_number") or view.containers.get(item.get("container_id") or "")
    if not lot and item.get("subject_type") == "container":
        lot = view.containers.get(item.get("subject_id") or "")
    return view.lots.get(lot or "", "")


# ---- a. the digest oracle --------------------------------------------------------------------------------


# The hashed fields of an event, as docs/audit-trail.md documents them: with a seal (the sealed trail), or
# without (a trail whose hashes covered every field).
_SEALED_FIELDS = audit_rules.SEALED_CHAIN_FIELDS
_UNSEALED_FIELDS = tuple(key for key in _SEALED_FIELDS if key != "seal")


def _canonical(fields: dict[str, Any]) -> bytes:
    return audit_rules.canonical_bytes(fields, tuple(fields))


def _event_fields(event: dict[str, Any]) -> dict[str, Any]:
    """The hashed fields of an event as the reader received it (a field it did not receive is None)."""
    return {key: event.get(key) for key in (_SEALED_FIELDS if "seal" in event else _UNSEALED_FIELDS)}


# The hidden keys of a bag's preparation event as the open source code writes them, and two variants, so
# that a small change to the event does not blind the oracle.
_PREPARE_KEYS = ("material", "lot_number", "container_id", "thaw_id", "thawed_at", "drawn_volume_ml",
                 "dose_viable_cells", "witness", "witnessed_at", "container_status")  # fmt: skip
_PREPARE_KEYSETS = (_PREPARE_KEYS, _PREPARE_KEYS[:-1], (*_PREPARE_KEYS, "arm"))
_BLOCK_SIZES = [list(c) for r in (1, 2, 3) for c in itertools.combinations((2, 3, 4, 5, 6, 8, 10, 12), r)]
_CID, _LOT = "@@container@@", "@@lot@@"


def _placebo_candidates(event: dict[str, Any], view: View, study: Study) -> list[tuple[str, str, bytes]]:
    """(lot, container, canonical bytes) for every guess of a placebo preparation's hidden fields."""
    material = next(m for m, arm in study.arm_of_material.items() if arm == "placebo")
    lots = [lot for lot, m in view.lots.items() if m == material]
    out = []
    for keys in _PREPARE_KEYSETS:
        for status in ("used", "issued", "stored", "in_pharmacy"):
            for dose in (0.0, 0):
                hidden = {
                    "material": material, "lot_number": _LOT, "container_id": _CID, "thaw_id": None,
                    "thawed_at": None, "drawn_volume_ml": None, "dose_viable_cells": dose, "witness": None,
                    "witnessed_at": None, "container_status": status, "arm": "placebo",
                }  # fmt: skip
                fields = _event_fields(event)
                fields["after"] = {**(event["after"] or {}), **{k: hidden[k] for k in keys}}
                template = _canonical(fields).decode("utf-8")
                for lot in lots:
                    with_lot = template.replace(_LOT, lot)
                    for container, owner in view.containers.items():
                        if owner == lot:
                            out.append((lot, container, with_lot.replace(_CID, container).encode("utf-8")))
                if "container_status" not in keys:
                    break
    return out


def digest_oracle(view: View, trial: Trial, study: Study) -> tuple[list[int | None], str, list[str]]:
    """Predictions per bag, the evidence, and hidden values named outright (block sizes, arms)."""
    predicted: list[int | None] = [None] * len(trial.bags)
    bags = {b.bag_id: b.index for b in trial.bags}
    participants = {b.participant_id: b.index for b in trial.bags}
    reproduced = hidden_events = matched = eliminated = 0
    named: list[str] = []
    for event in view.audit:
        if not event.get("hash"):
            continue
        fields = _event_fields(event)
        if audit_rules.event_hash(_canonical(fields)) == event["hash"]:
            reproduced += 1
            continue
        hidden_events += 1
        kind = (event["entity_type"], event["action"])
        if kind == ("bag", "prepare") and event["entity_id"] in bags:
            index = bags[event["entity_id"]]
            hit = next(
                ((lot, cid) for lot, cid, data in _placebo_candidates(event, view, study)
                 if hashlib.sha256(data).hexdigest() == event["hash"]),
                None,
            )  # fmt: skip
            if hit:
                predicted[index] = 0
                matched += 1
                if matched == 1:
                    named.append(f"bag {event['entity_id']}: placebo, lot {hit[0]}, container {hit[1]}")
            else:
                # Every placebo guess failed where the guesses were complete: the bag holds cells.
                predicted[index] = 1
                eliminated += 1
        elif event["entity_type"] == "randomization_list":
            for sizes in _BLOCK_SIZES:
                for value in (sizes, ",".join(map(str, sizes))):
                    fields["after"] = {**(event["after"] or {}), "block_sizes": value}
                    if audit_rules.event_hash(_canonical(fields)) == event["hash"]:
                        named.append(f"randomization list {event['entity_id']}: hidden block_sizes = {value}")
        elif event["entity_type"] == "participant" and event["entity_id"] in participants:
            for arm in study.arms:
                fields["after"] = {**(event["after"] or {}), "arm": arm}
                if audit_rules.event_hash(_canonical(fields)) == event["hash"]:
                    predicted[participants[event["entity_id"]]] = int(arm == "active")
                    named.append(
                        f"participant {event['entity_id']}: arm {arm} from the hash of its {kind[1]}"
                    )
    # Any other digest in any answer: an unsalted hash of an arm or material word, alone or with a bag's IDs.
    others = _loose_digests(view, trial, study, predicted)
    evidence = (
        f"{reproduced} of {reproduced + hidden_events} audit hashes rebuilt from what the role sees; "
        f"of the rest, {matched} preparations matched a placebo guess (arm and container named), "
        f"{eliminated} matched none (cells, by elimination); {others}"
    )
    return predicted, evidence, named


def _loose_digests(view: View, trial: Trial, study: Study, predicted: list[int | None]) -> str:
    audit_digests = {e.get("hash") for e in view.audit} | {e.get("prev_hash") for e in view.audit}
    tokens = bag_tokens(trial.bags)
    words = sorted({*study.arm_of_material, *study.arm_of_material.values()})
    found = 0
    for reading in view.readings:
        digests = {d.lower() for d in _HEX.findall(reading.raw)} - audit_digests
        digests |= {
            d.lower() for value in reading.headers.values() for d in _HEX.findall(value)
        } - audit_digests
        if not digests:
            continue
        subjects = {reading.subject} if reading.subject is not None else None
        for digest in digests:
            # The bags a digest may be about: the answer's own bag, else any bag named near it.
            near = subjects
            if near is None:
                at = reading.raw.lower().find(digest)
                near = {
                    tokens[t]
                    for t in re.findall(
                        r"[A-Z0-9][A-Z0-9_./-]{3,}", reading.raw[max(0, at - 400) : at + 400].upper()
                    )
                    if t in tokens
                }
            for index in near or ():
                bag = trial.bags[index]
                for word in words:
                    if _digest_of(digest, word, (bag.bag_id, bag.participant_id, bag.code)):
                        predicted[index] = int(study.arm_of_material.get(word, word) == "active")
                        found += 1
    return f"{found} other digests matched an arm or material word"


def _digest_of(digest: str, word: str, ids: tuple[str, ...]) -> bool:
    candidates = [word, word.upper(), word.capitalize()]
    for value in ids:
        for sep in ("", ":", "|", "-", ",", " ", "/"):
            candidates += [f"{value}{sep}{word}", f"{word}{sep}{value}"]
    for text in candidates:
        data = text.encode("utf-8")
        for name in ("md5", "sha1", "sha256", "sha512", "blake2b", "sha3_256"):
            if hashlib.new(name, data).hexdigest() == digest:
                return True
    return False


# ---- features for b, c, d, e -----------------------------------------------------------------------------


Features = dict[str, dict[int, float]]


def _add(features: Features, name: str, index: int, value: float | None) -> None:
    if value is not None and np.isfinite(value):
        features.setdefault(name, {})[index] = float(value)


def _points(view: View, trial: Trial) -> list[tuple[float, str, int | None]]:
    """(time, label, bag it is about or None) of every time the role can read outside a bag's own answers."""
    bags = {b.bag_id: b.index for b in trial.bags}
    tokens = bag_tokens(trial.bags)
    points = []
    for event in view.audit:
        when = as_time(event["at"])
        entity = {"container_id": event["entity_id"]} if event["entity_type"] == "container" else {}
        if event["entity_type"] == "lot":
            entity = {"lot_number": event["entity_id"]}
        material = _material_of(view, entity) if entity else ""
        about = (
            bags.get(event["entity_id"])
            if event["entity_type"] == "bag"
            else tokens.get(event["entity_id"].upper())
        )
        points.append(
            (when.timestamp(), f"audit {event['entity_type']} {event['action']} {material}".strip(), about)
        )
    for reading in view.readings:
        if reading.subject is not None or reading.route in ("/api/v1/audit",) or reading.data is None:
            continue
        for item in _dicts(reading.data):
            for key, value in item.items():
                if not key.endswith("at") or not isinstance(value, str):
                    continue
                when = as_time(value)
                if when is None:
                    continue
                action = item.get("action") or item.get("status") or ""
                label = f"{reading.route} {key} {action} {_material_of(view, item)}".strip()
                about = next(
                    (tokens[v.upper()] for v in item.values() if isinstance(v, str) and v.upper() in tokens),
                    None,
                )
                points.append((when.timestamp(), label, about))
    return points


def time_joins(view: View, trial: Trial) -> Features:
    features: Features = {}
    by_label: dict[str, list[tuple[float, int | None]]] = defaultdict(list)
    for when, label, about in _points(view, trial):
        by_label[label].append((when, about))
    for label, points in by_label.items():
        points.sort()
        times = [t for t, _ in points]
        for index, anchor in view.anchors.items():
            lo = bisect.bisect_right(times, anchor + 1.0) - 1
            while lo >= 0 and points[lo][1] == index:
                lo -= 1
            hi = bisect.bisect_left(times, anchor - 1.0)
            while hi < len(points) and points[hi][1] == index:
                hi += 1
            before = anchor - times[lo] if lo >= 0 else None
            after = times[hi] - anchor if hi < len(points) else None
            _add(
                features,
                f"b: {label}: seconds since the last one",
                index,
                before if before is not None and before < HORIZON else None,
            )
            _add(
                features,
                f"b: {label}: seconds to the next one",
                index,
                after if after is not None and after < HORIZON else None,
            )
            nearest = min((abs(x) for x in (before, after) if x is not None), default=None)
            _add(
                features,
                f"b: {label}: one within 2 s of prepared_at",
                index,
                float(nearest is not None and nearest <= 2.0),
            )
    # The bag's own events and answers: every time in them, against its preparation time.
    for reading in view.readings:
        if reading.subject is None or reading.subject not in view.anchors:
            continue
        anchor = view.anchors[reading.subject]
        for key, value in _times_in(reading).items():
            _add(
                features,
                f"b: {reading.kind} {reading.route} {key} minus prepared_at",
                reading.subject,
                value - anchor,
            )
    ordered = sorted(view.audit, key=lambda e: e["seq"])
    bags = {b.bag_id: b.index for b in trial.bags}
    for position, event in enumerate(ordered):
        index = bags.get(event["entity_id"]) if event["entity_type"] == "bag" else None
        if index is None or index not in view.anchors:
            continue
        at = as_time(event["at"]).timestamp()
        _add(
            features, f"b: audit bag {event['action']}: at minus prepared_at", index, at - view.anchors[index]
        )
        if position:
            _add(features, f"b: audit bag {event['action']}: at minus the previous event's", index,
                 at - as_time(ordered[position - 1]["at"]).timestamp())  # fmt: skip
        if position + 1 < len(ordered):
            _add(features, f"b: audit bag {event['action']}: next event's at minus this", index,
                 as_time(ordered[position + 1]["at"]).timestamp() - at)  # fmt: skip
    return features


def _times_in(reading: Reading) -> dict[str, float]:
    numbers = flatten(reading.data) if reading.data is not None else text_numbers(reading.text)
    return {k: v for k, v in numbers.items() if k.endswith("@t")}


def sequence_gaps(view: View, trial: Trial) -> Features:
    features: Features = {}
    ordered = sorted(view.audit, key=lambda e: e["seq"])
    bags = {b.bag_id: b.index for b in trial.bags}
    tokens = bag_tokens(trial.bags)
    gaps: list[tuple[float, float, float]] = []  # (visible event before, after, hidden events between)
    for position, event in enumerate(ordered):
        previous = ordered[position - 1] if position else None
        gap = event["seq"] - (previous["seq"] if previous else 0) - 1
        broken = previous is not None and event.get("prev_hash") != previous.get("hash")
        if gap or broken:
            # The hidden events happened somewhere between the two visible ones.
            start = as_time(previous["at"]).timestamp() if previous else 0.0
            gaps.append((start, as_time(event["at"]).timestamp(), float(max(gap, 1))))
        index = (
            bags.get(event["entity_id"])
            if event["entity_type"] == "bag"
            else tokens.get(event["entity_id"].upper())
        )
        if index is None:
            continue
        name = f"{event['entity_type']} {event['action']}"
        _add(features, f"c: audit {name}: seq gap just before", index, float(gap))
        _add(features, f"c: audit {name}: prev_hash link broken just before", index, float(broken))
        if position + 1 < len(ordered):
            following = ordered[position + 1]
            _add(
                features,
                f"c: audit {name}: seq gap just after",
                index,
                float(following["seq"] - event["seq"] - 1),
            )
            _add(features, f"c: audit {name}: link broken just after", index,
                 float(following.get("prev_hash") != event.get("hash")))  # fmt: skip
    _gap_window_features(features, "audit seq", gaps, view.anchors)
    # Other numeric ID sequences (custody event IDs, result IDs ...) with a time beside them.
    sequences: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for reading in view.readings:
        for item in _dicts(reading.data):
            when = next(
                (
                    as_time(v)
                    for k, v in item.items()
                    if k.endswith("at") and isinstance(v, str) and as_time(v)
                ),
                None,
            )
            if when is None:
                continue
            for key, value in item.items():
                if (
                    (key == "id" or key.endswith("_id") or key == "seq")
                    and isinstance(value, int)
                    and not isinstance(value, bool)
                ):
                    sequences[f"{reading.route.split('{')[0]}{key}"].append((value, when.timestamp()))
    for name, entries in sequences.items():
        entries = sorted(set(entries))
        id_gaps = [
            (t1, t2, float(i2 - i1 - 1)) for (i1, t1), (i2, t2) in itertools.pairwise(entries) if i2 - i1 > 1
        ]
        _gap_window_features(features, name, id_gaps, view.anchors)
        # The ID gap spanning each bag's preparation.
        times = [t for _, t in entries]
        for index, anchor in view.anchors.items():
            at = bisect.bisect_left(times, anchor)
            if 0 < at < len(entries):
                _add(
                    features,
                    f"c: {name}: ID gap spanning prepared_at",
                    index,
                    float(entries[at][0] - entries[at - 1][0] - 1),
                )
    return features


def _gap_window_features(
    features: Features, name: str, gaps: list[tuple[float, float, float]], anchors: dict[int, float]
) -> None:
    """Per bag: how long since the last gap in a sequence, and the gaps that may lie in windows before its
    preparation (a gap lies anywhere between the visible entries around it)."""
    gaps.sort(key=lambda g: g[1])
    ends = [end for _, end, _ in gaps]
    for index, anchor in anchors.items():
        last = bisect.bisect_right(ends, anchor + 1.0) - 1
        if last >= 0 and anchor - ends[last] < HORIZON:
            _add(features, f"c: {name}: seconds since the last gap", index, anchor - ends[last])
        # Windows a reader who knows the pharmacy's routine would look in: a thaw comes 20 to 40 minutes
        # before the first bag it feeds and lasts an hour.
        for low, high in ((0, 60), (19, 60), (0, 30), (30, 60)):
            window = [
                size
                for start, end, size in gaps[max(0, last - 200) : last + 2]
                if end >= anchor - high * 60.0 and start <= anchor - low * 60.0
            ]
            _add(features, f"c: {name}: gaps {low}-{high} min before", index, float(len(window)))
            _add(features, f"c: {name}: hidden IDs {low}-{high} min before", index, float(sum(window)))


def count_diffs(view: View) -> Features:
    features: Features = {}
    before: dict[int, dict[str, float]] = {}
    for index, moment, numbers in view.snapshots:
        if moment == "before":
            before[index] = numbers
        elif index in before:
            for key in set(numbers) | set(before[index]):
                if key.endswith("@t"):
                    continue
                _add(features, f"d: {key} change", index, numbers.get(key, 0.0) - before[index].get(key, 0.0))
    return features


def generic(view: View, trial: Trial) -> Features:
    """Every number and time of every answer about a bag, and of every row about it in a list."""
    features: Features = {}
    tokens = bag_tokens(trial.bags)
    for reading in view.readings:
        if reading.subject is not None:
            anchor = view.anchors.get(reading.subject)
            for key, value in numbers_of(reading).items():
                if key.endswith("@t"):
                    value = value - anchor if anchor is not None else None
                _add(features, f"e: {reading.kind} {reading.route} {key}", reading.subject, value)
            lowered = reading.text.lower()
            for word in ARM_WORDS:
                _add(
                    features,
                    f"e: {reading.kind} {reading.route} count of '{word}'",
                    reading.subject,
                    float(lowered.count(word)),
                )
        else:
            for index, kind, numbers, position, total, _text in rows_about_bags(reading, tokens):
                anchor = view.anchors.get(index)
                prefix = f"e: {reading.kind} {reading.route.split('?')[0]} row {kind}"
                _add(features, f"{prefix} position", index, float(position))
                _add(features, f"{prefix} position from the end", index, float(total - position))
                for key, value in numbers.items():
                    if key.endswith("@t"):
                        value = value - anchor if anchor is not None else None
                    _add(features, f"{prefix} {key}", index, value)
    return features


# ---- n. names the arm ------------------------------------------------------------------------------------


def names_the_arm(view: View, trial: Trial, study: Study) -> tuple[list[int | None], list[str]]:
    predicted: list[int | None] = [None] * len(trial.bags)
    found: list[str] = []
    tokens = bag_tokens(trial.bags)
    words = {w.lower() for w in (*study.arm_of_material, *study.arm_of_material.values())}

    def check(index: int, where: str, text: str, data: Any) -> None:
        bag = trial.bags[index]
        hits = []
        for item in _dicts(data):
            if "arm" in item:
                hits.append((f"key 'arm' = {item['arm']!r}", item["arm"]))
            for key, value in item.items():
                if isinstance(value, str) and value.lower() in words:
                    hits.append(
                        (f"{key} = {value!r}", study.arm_of_material.get(value.lower(), value.lower()))
                    )
        for value, what in ((bag.lot_number, "its lot number"), (bag.container_id, "its container ID"),
                            (bag.thaw_id, "its thaw ID")):  # fmt: skip
            if value and value in text:
                hits.append((f"{what} {value}", bag.arm))
        plain = text
        for label in study.label_texts:
            plain = plain.replace(label, " ")
        for word in _WORD.findall(plain):
            if word.lower() in words and data is None:
                hits.append((f"the word {word!r}", study.arm_of_material.get(word.lower(), word.lower())))
        for what, arm in hits[:1]:
            predicted[index] = int(arm == "active")
            if len(found) < 8:
                found.append(f"{where} about bag {bag.bag_id}: {what}")

    for reading in view.readings:
        if reading.subject is not None:
            check(reading.subject, f"{reading.kind} {reading.url}", reading.raw, reading.data)
        else:
            for index, _kind, _numbers, _position, _total, text in rows_about_bags(reading, tokens):
                check(index, f"{reading.kind} {reading.url} (its row)", text, None)
    for event in view.audit:
        index = tokens.get(event["entity_id"].upper())
        if index is not None:
            check(index, f"audit event {event['seq']}", json.dumps(event), event)
    return predicted, found


# ---- scoring ---------------------------------------------------------------------------------------------


def _matrix(features: Features, n: int) -> tuple[np.ndarray, list[str]]:
    names = sorted(features)
    matrix = np.full((n, len(names)), np.nan)
    for j, name in enumerate(names):
        for index, value in features[name].items():
            matrix[index, j] = value
    # A feature that only a few bags have (a route read for a sample, snapshots read before the pruning) says
    # little and adds noise; one that a fifth of the bags lacks is kept, its absence being a value too.
    covered = (~np.isnan(matrix)).sum(axis=0) >= COVERAGE * n
    matrix, names = matrix[:, covered], [name for name, keep in zip(names, covered, strict=True) if keep]
    matrix = stats.prepare(matrix)
    keep = stats.distinct_columns(matrix)
    return matrix[:, keep], [names[j] for j in keep]


def score_features(attack: str, role: str, features: Features, truth: np.ndarray, seed: int) -> Result:
    x, names = _matrix(features, len(truth))
    rng = np.random.default_rng(seed)
    real = stats.cross_validated(x, truth, rng)
    floors = [stats.cross_validated(x, stats.permuted(truth, rng), rng).accuracy for _ in range(PERMUTATIONS)]
    if real.best_feature >= 0:
        side = "above" if real.polarity == 1 else "at or below"
        evidence = (
            f"{len(names)} features; best alone: {names[real.best_feature]} "
            f"(CV {real.best_feature_accuracy:.2f}; active when {side} {real.threshold:.6g})"
        )
    else:
        evidence = f"{len(names)} features that vary"
    return Result(attack, role, real.accuracy, float(np.mean(floors)), float(np.max(floors)), evidence)


def score_predictions(attack: str, role: str, predicted: list[int | None], truth: np.ndarray, evidence: str,
                      seed: int, names: list[str]) -> Result:  # fmt: skip
    rng = np.random.default_rng(seed)
    floors = [stats.accuracy(predicted, stats.permuted(truth, rng)) for _ in range(PERMUTATIONS)]
    decided = sum(p is not None for p in predicted)
    real = stats.accuracy(predicted, truth)
    return Result(attack, role, real, float(np.mean(floors)), float(np.max(floors)), evidence, decided, names)


def attack_all(
    collection: Collection, trial: Trial, roles: list[str], study: Study, seed: int
) -> list[Result]:
    truth = np.array([int(b.arm == "active") for b in trial.bags])
    results = []
    for view in views(collection, roles):
        learn(view, trial)
        predicted, evidence, named = digest_oracle(view, trial, study)
        results.append(score_predictions("a", view.role, predicted, truth, evidence, seed, named))
        b, c, d = time_joins(view, trial), sequence_gaps(view, trial), count_diffs(view)
        results.append(score_features("b", view.role, b, truth, seed))
        results.append(score_features("c", view.role, c, truth, seed))
        results.append(score_features("d", view.role, d, truth, seed))
        results.append(score_features("e", view.role, {**b, **c, **d, **generic(view, trial)}, truth, seed))
        predicted, found = names_the_arm(view, trial, study)
        evidence = "; ".join(found[:3]) if found else "no arm, material, lot, container or thaw in any answer"
        results.append(score_predictions("n", view.role, predicted, truth, evidence, seed, found))
    return results


def study_of(app: Any) -> Study:
    from tracker.studies.services import current_study
    from tracker.web.context import reader

    with app.app_context(), reader() as work:
        study = current_study(work.session)
    labels = [text for text in study.label.values() if isinstance(text, str) and len(text) > 3]
    labels += [arm.label for arm in study.arms if getattr(arm, "label", None)]
    return Study({arm.material: arm.code for arm in study.arms}, sorted(labels, key=len, reverse=True))
