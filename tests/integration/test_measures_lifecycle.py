"""The measure lifecycle over HTTP: every (state, action) pair of the state machine is tried;
the allowed ones work, every other one is refused with a 409 naming the allowed next states."""

from __future__ import annotations

from collections import deque

from kf.contracts.measures import MeasureState
from kf.testing.fixtures import auth
from services.measures.domain import TRANSITIONS, Action

MEASURE = {"title": "Flere læreplasser i industrien i Nedre Glomma", "focus_area": "relevant_competence",
           "description": "Bedrifter og skoler samarbeider om læreplasser", "partner_organisation_ids": ["org-nho"]}

# How each action is asked for over HTTP.
CALLS: dict[Action, tuple[str, dict]] = {
    Action.receive_input: ("inputs", {"text": "Workshop: ta med fagskolene", "gathering_id": "g-1"}),
    Action.revise: ("revise", {"title": "Flere læreplasser i industrien i Nedre Glomma og Moss"}),
    Action.adopt: ("adopt", {"decided_by": "Styringsgruppen", "rationale": "Treffer behovet i industrien"}),
    Action.reject: ("reject", {"decided_by": "Styringsgruppen", "rationale": "Dekkes av et annet tiltak"}),
    Action.accept_ownership: ("ownership", {"organisation_id": "org-viken", "mandate_holder_person_id": "p-leader"}),
    Action.start: ("start", {}),
    Action.complete: ("complete", {"summary": "30 nye læreplasser"}),
    Action.stop: ("stop", {"reason": "Finansieringen falt bort"}),
}


def _paths_to_every_state() -> dict[MeasureState, list[Action]]:
    """The shortest action sequence from `proposed` to each state, found in the transition table."""
    paths = {MeasureState.proposed: []}
    queue = deque([MeasureState.proposed])
    while queue:
        state = queue.popleft()
        for t in TRANSITIONS:
            if t.source == state and t.target not in paths:
                paths[t.target] = paths[state] + [t.action]
                queue.append(t.target)
    return paths


def _do(client, measure_id: str, action: Action):
    path, body = CALLS[action]
    return client.post(f"/measures/{measure_id}/{path}", json=body, headers=auth())


def _measure_in(client, state: MeasureState, paths) -> str:
    measure = client.post("/measures", json=MEASURE, headers=auth())
    assert measure.status_code == 201, measure.text
    for action in paths[state]:
        response = _do(client, measure.json()["id"], action)
        assert response.status_code in (200, 201), (state, action, response.text)
    return measure.json()["id"]


def test_every_state_is_reachable_and_every_pair_is_answered_by_the_table(service_app, nats_server):
    client = service_app("measures", nats_url=nats_server.url)
    paths = _paths_to_every_state()
    assert set(paths) == set(MeasureState), "every state of the contract is reachable from proposed"
    allowed = {(t.source, t.action): t.target for t in TRANSITIONS}
    checked = 0
    for state in MeasureState:
        measure_id = _measure_in(client, state, paths)
        assert client.get(f"/measures/{measure_id}", headers=auth("viewer")).json()["state"] == state
        history = len(client.get(f"/measures/{measure_id}/history", headers=auth("viewer")).json())
        expected_next = sorted({t.target.value for t in TRANSITIONS if t.source == state})
        for action in Action:
            if (state, action) in allowed:
                fresh = _measure_in(client, state, paths)
                response = _do(client, fresh, action)
                assert response.status_code in (200, 201), (state, action, response.text)
                after = client.get(f"/measures/{fresh}", headers=auth("viewer")).json()
                assert after["state"] == allowed[(state, action)], (state, action)
            elif action == Action.receive_input:
                # Input is attached in every state; it moves only a proposed measure.
                response = _do(client, measure_id, action)
                assert response.status_code == 201, (state, response.text)
                assert client.get(f"/measures/{measure_id}", headers=auth("viewer")).json()["state"] == state
                history += 1
            else:
                response = _do(client, measure_id, action)
                assert response.status_code == 409, (state, action, response.text)
                body = response.json()
                assert body["current_state"] == state.value
                assert sorted(body["allowed_next_states"]) == expected_next
                assert body["errors"][0]["field"] == "state"
                assert state.value in body["message"]
                now = client.get(f"/measures/{measure_id}", headers=auth("viewer")).json()
                assert now["state"] == state and sorted(now["allowed_next_states"]) == expected_next
            checked += 1
        assert len(client.get(f"/measures/{measure_id}/history", headers=auth("viewer")).json()) == history, \
            f"a refused action on a {state.value} measure recorded an event"
    assert checked == len(MeasureState) * len(Action)


def test_a_proposal_cannot_be_adopted_without_workshop_input_and_revision(service_app, nats_server):
    client = service_app("measures", nats_url=nats_server.url)
    measure = client.post("/measures", json=MEASURE, headers=auth()).json()
    refused = _do(client, measure["id"], Action.adopt)
    assert refused.status_code == 409
    assert refused.json()["allowed_next_states"] == ["in_review"]
    assert "cannot adopt a measure that is proposed" in refused.json()["message"]
