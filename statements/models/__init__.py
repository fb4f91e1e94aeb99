from .bulletins import Bulletin, BulletinCopy
from .drafts import Draft, DraftVersion, GateDecision, Publication
from .rules import FlaggedPhrase, HoldingTemplate, ReviewPolicy

__all__ = [
    "Bulletin",
    "BulletinCopy",
    "Draft",
    "DraftVersion",
    "FlaggedPhrase",
    "GateDecision",
    "HoldingTemplate",
    "Publication",
    "ReviewPolicy",
]
