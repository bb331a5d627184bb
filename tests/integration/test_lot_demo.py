"""`demo` makes one released UC-MSC lot and one released placebo lot through the real services, and issues
kits of them to the pharmacy."""


def test_demo_makes_a_released_lot_of_each_material_and_prints_their_numbers(runner, login):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "UCMSC-DEMO-01" in result.output
    assert "VEH-DEMO-01" in result.output
    pharmacist = login("pharmacist")
    lots = {i["lot_number"]: i for i in pharmacist.get("/api/v1/lots").json["items"]}
    assert {n: (i["material"], i["status"]) for n, i in lots.items()} == {
        "UCMSC-DEMO-01": ("ucmsc", "released"),
        "VEH-DEMO-01": ("placebo", "released"),
    }
    lot = pharmacist.get("/api/v1/lots/UCMSC-DEMO-01").json
    assert lot["release"]["signed_by"] == "demo_qa"
    assert {r["entered_by"] for r in lot["qc_results"]} == {"demo_gmp"}
    assert lot["usable"] is True
    # The lab issued a few kits, so that the pharmacy can thaw and prepare at once.
    stock = pharmacist.get("/api/v1/stock").json
    assert len(stock["kits"]) == 4
    assert {c["lot_number"] for kit in stock["kits"] for c in kit["containers"]} == {
        "UCMSC-DEMO-01",
        "VEH-DEMO-01",
    }
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "(exists)" in again.output
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
