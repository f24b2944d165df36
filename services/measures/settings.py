"""Settings of the measures service."""

from typing import ClassVar

from kf.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service: ClassVar[str] = "measures"
    default_port: ClassVar[int] = 8103
