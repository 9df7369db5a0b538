"""The link in the "please rate" SMS: `/r/{tracking_no}?t=<token>` lets its holder rate that case's
current round once, without signing in (many hotline callers never install an app).

The token is an HMAC of the tracking number and the round under a secret only the platform holds,
so it cannot be forged for another case or round; it expires with the rating window (rating is only
possible while the case waits for it) and works once (a rated round waits no more). Ten base64url
characters (60 bits) keep the SMS in one segment and are far beyond online guessing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

TOKEN_CHARS = 10
#: The rating SMS must fit one 70-character segment: its text (14) + base + "/r/" + number + "?t=" + token.
MAX_BASE_LENGTH = 27


@dataclass(frozen=True)
class RatingLinks:
    secret: bytes
    base: str

    def token(self, tracking_no: str, round_: int) -> str:
        digest = hmac.new(self.secret, f"{tracking_no}|{round_}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:TOKEN_CHARS]

    def link(self, tracking_no: str, round_: int) -> str:
        return f"{self.base.rstrip('/')}/r/{tracking_no}?t={self.token(tracking_no, round_)}"

    def verify(self, tracking_no: str, round_: int, token: str) -> bool:
        # as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, not a mismatch)
        return hmac.compare_digest(self.token(tracking_no, round_).encode(), token.encode("utf-8", "surrogatepass"))
