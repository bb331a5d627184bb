"""Expected against received, and which received containers make whole kits."""

from tracker.shipments import rules


def test_compare_names_missing_extra_and_received_in_order():
    found = rules.compare(["A", "B", "C"], ["C", "X", "A", "A"])
    assert found == {"missing": ["B"], "extra": ["X"], "received": ["C", "A"]}


def test_only_containers_of_whole_usable_kits_are_kept():
    kit_of = {"C1": 1, "V1": 1, "C2": 2, "V2": 2}
    assert rules.whole_kits(kit_of, ["C1", "V1", "C2"]) == ["C1", "V1"]
    assert rules.whole_kits(kit_of, ["C2", "V2", "X9"]) == ["C2", "V2"]
    assert rules.whole_kits(kit_of, []) == []
