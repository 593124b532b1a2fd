"""A setting that might be the one police meant: what the register index finds and a routing decision lists."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    urn: str
    name: str
    la_code: str
    score: float  # 0..100, how well the given name fits this setting

    def as_dict(self) -> dict:
        return {"urn": self.urn, "name": self.name, "la_code": self.la_code, "score": self.score}
