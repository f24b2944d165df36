"""Settings of the membership service."""

from typing import ClassVar

from kf.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service: ClassVar[str] = "membership"
    default_port: ClassVar[int] = 8101
