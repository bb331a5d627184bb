"""What the API fuzzer found, pinned as plain tests: each was a 500 or an answer outside its schema."""

from tests.integration.randomization_support import import_list, list_rows
from tests.lots_support import create_lot


def test_an_audit_page_after_a_seq_beyond_any_integer_column_is_refused_not_a_500(login):
    qa = login("qa")
    for url in ("/api/v1/audit?after_seq=106590558881390", "/api/v1/audit/export.csv?after_seq=2147483648"):
        response = qa.get(url)
        assert response.status_code == 422, url
        assert response.json["error"]["code"] == "validation_failed"
        assert "after_seq" in response.json["error"]["details"]
    assert qa.get("/api/v1/audit?after_seq=2147483647").status_code == 200


def test_a_correction_naming_a_result_id_beyond_any_integer_column_is_refused_not_a_500(login):
    gmp = login("gmp")
    create_lot(gmp, "UC-0001")
    response = gmp.post(
        "/api/v1/lots/UC-0001/qc-results",
        json={"test": "endotoxin", "value": 0.1, "corrects": 2**63, "reason": "typo"},
    )
    assert response.status_code == 422
    assert "corrects" in response.json["error"]["details"]


def test_the_documented_participant_answer_admits_the_pharmacists_arm_and_the_blinded_answer(
    client, runner, tmp_path, login
):
    import_list(runner, tmp_path, list_rows(per_stratum=2))
    login("investigator").post("/api/v1/participants", json={"participant_id": "P-001", "stratum": "A"})
    document = client.get("/api/v1/openapi.json").json
    answer = document["paths"]["/api/v1/participants/{participant_id}"]["get"]["responses"]["200"]
    variants = answer["content"]["application/json"]["schema"]["oneOf"]
    names = {v["$ref"].rsplit("/", 1)[1] for v in variants}
    assert names == {"ParticipantBlinded", "ParticipantUnblinded"}
    schemas = document["components"]["schemas"]
    assert "arm" not in schemas["ParticipantBlinded"]["properties"]
    assert schemas["ParticipantBlinded"]["additionalProperties"] is False
    assert "arm" in schemas["ParticipantUnblinded"]["required"]
    assert set(login("pharmacist").get("/api/v1/participants/P-001").json) <= set(
        schemas["ParticipantUnblinded"]["properties"]
    )
    assert set(login("nurse").get("/api/v1/participants/P-001").json) <= set(
        schemas["ParticipantBlinded"]["properties"]
    )
