"""The built-in Agenda 2030: the 17 global goals and all 169 targets, numbered as the UN does."""

from __future__ import annotations

import json

from consult.followup import agenda2030

# The number of targets under each goal in A/RES/70/1.
UN_TARGET_COUNTS = {
    1: 7, 2: 8, 3: 13, 4: 10, 5: 9, 6: 8, 7: 5, 8: 12, 9: 8,
    10: 10, 11: 10, 12: 11, 13: 5, 14: 10, 15: 12, 16: 12, 17: 19,
}  # fmt: skip


def test_seventeen_goals_in_order_with_names_and_colours():
    goals = agenda2030.goals()
    assert [g.number for g in goals] == list(range(1, 18))
    assert goals[0].sv == "Ingen fattigdom" and goals[0].en == "No poverty"
    assert goals[10].sv == "Hållbara städer och samhällen"
    assert goals[16].en == "Partnerships for the goals"
    for goal in goals:
        assert goal.sv.strip() and goal.en.strip()
        assert goal.colour.startswith("#") and len(goal.colour) == 7


def test_169_targets_counted_per_goal_as_the_un_does():
    goals = agenda2030.goals()
    assert sum(len(g.targets) for g in goals) == 169
    assert {g.number: len(g.targets) for g in goals} == UN_TARGET_COUNTS
    assert [t.code for t in agenda2030.goal(1).targets] == [
        "1.1", "1.2", "1.3", "1.4", "1.5", "1.a", "1.b",
    ]  # fmt: skip
    assert agenda2030.goal(17).targets[-1].code == "17.19"
    assert agenda2030.goal(14).targets[-1].code == "14.c"


def test_codes_unique_texts_short_and_in_both_languages():
    codes = [t.code for g in agenda2030.goals() for t in g.targets]
    assert len(codes) == len(set(codes))
    for goal in agenda2030.goals():
        for target in goal.targets:
            assert target.goal == goal.number
            assert target.code.split(".")[0] == str(goal.number)
            assert target.sv.strip() and target.en.strip()
            assert len(target.sv) <= 120 and len(target.en) <= 120
            assert target.sv != target.en


def test_targets_listed_in_the_agendas_order():
    for goal in agenda2030.goals():
        codes = [t.code for t in goal.targets]
        assert codes == sorted(codes, key=agenda2030.sort_key)
    mixed = ["2", "1.b", "1.10", "1", "1.a", "1.2", "10.1"]
    assert sorted(mixed, key=agenda2030.sort_key) == ["1", "1.2", "1.10", "1.a", "1.b", "2", "10.1"]


def test_known_get_and_goal_number():
    assert agenda2030.known("11") and agenda2030.known("11.2") and agenda2030.known("17.19")
    assert not agenda2030.known("18") and not agenda2030.known("1.6")
    assert not agenda2030.known("17.20") and not agenda2030.known("")
    assert agenda2030.get("11.2").goal == 11
    assert agenda2030.get("4").number == 4
    assert agenda2030.get("99") is None
    assert agenda2030.goal_number("11.2") == 11 and agenda2030.goal_number("16.a") == 16
    assert agenda2030.goal_number("7") == 7


def test_source_cites_the_un_and_says_the_wording_is_our_own():
    source = json.loads(agenda2030.DATA.read_text(encoding="utf-8"))["source"]
    assert "A/RES/70/1" in source
    assert "Globala målen" in source
    assert "paraphrase" in source


def test_name_follows_the_language(app, client):
    health, target = agenda2030.get("3"), agenda2030.get("3.6")
    assert health.sv == "God hälsa och välbefinnande"
    assert health.en == "Good health and well-being"
    # Swedish by default: in a request without a chosen language, and outside any request.
    with app.test_request_context("/"):
        assert health.name == health.sv and target.name == target.sv
    assert health.name == health.sv
    # A visitor who chose English reads the English names.
    client.post("/sprak", data={"lang": "en", "next": "/"})
    with client:
        client.get("/")
        assert health.name == health.en and target.name == target.en
        assert target.name != target.sv
