"""Settings of the events service."""

from typing import ClassVar

from kf.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service: ClassVar[str] = "events"
    default_port: ClassVar[int] = 8102
