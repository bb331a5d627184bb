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


def test_a_control_character_in_a_search_is_refused_not_a_500(login):
    """PostgreSQL refuses a NUL in text (a 500 on GET /adverse-events?infusion_id=%00...): every query string
    is checked for control characters as a body is."""
    nurse, qa = login("nurse"), login("qa")
    for client, url in (
        (nurse, "/api/v1/adverse-events?infusion_id=%00I123"),
        (qa, "/api/v1/audit?entity_id=B%00"),
        (qa, "/api/v1/deviations?state=open%07"),
    ):
        response = client.get(url)
        assert response.status_code == 422, (url, response.json)
        assert response.json["error"]["code"] == "validation_failed"
        assert response.json["error"]["details"], url
    assert nurse.get("/api/v1/adverse-events?infusion_id=I123").status_code == 200


def test_a_control_character_in_a_pages_query_is_an_error_page_not_a_500(browse):
    """The same check before every page: the participant record's PDF read its `participant_id` straight from
    the query string (a 500 on PostgreSQL with a NUL in it)."""
    page = browse("investigator")
    response = page.get("/reports/record.pdf?participant_id=P%00-001")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "control characters" in response.get_data(as_text=True)
