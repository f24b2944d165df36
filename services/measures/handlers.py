"""Consumers of other services' events: workshop input recorded by the events service.

Input for a measure this service does not know can never be applied (measures are created here
before any workshop can discuss them), so it is rejected to the dead-letter stream with the
reason, where an operator sees it, instead of being kept as orphan input.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from kf.contracts.envelope import CloudEvent
from kf.contracts.events import WorkshopInputRecorded
from kf.runtime.consumer import Handler, RejectEvent
from services.measures.store import Measure, MeasureInput
from services.measures.usecases import MeasureUseCases


def workshop_input_handler(usecases: MeasureUseCases) -> Handler:
    def on_workshop_input(session: Session, _envelope: CloudEvent, event: WorkshopInputRecorded) -> None:
        # The kit skips a redelivered envelope; this also skips the same input re-published in a new envelope.
        if session.get(MeasureInput, event.input_id) is not None:
            return
        measure = session.get(Measure, event.measure_id)
        if measure is None or measure.region != usecases.region:
            raise RejectEvent(f"no measure {event.measure_id!r} in region {usecases.region!r} "
                              f"for workshop input {event.input_id!r}")
        usecases.attach_input(session, measure, input_id=event.input_id, gathering_id=event.gathering_id,
                              text=event.text, author_person_id=event.author_person_id,
                              recorded_on=event.recorded_on, origin="workshop")

    return on_workshop_input
