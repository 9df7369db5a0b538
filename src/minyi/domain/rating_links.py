"""Rating without signing in (many hotline callers never install an app): the "please rate" SMS gives
the constant rating address, the tracking number and a 6-digit rating code; the page at that address
asks for both numbers, then shows the form.

Why a code and no per-case link: mainland SMS providers refuse a link in a template variable, short
links included (Tencent Cloud SMS FAQ, product 382 document 13301). A link must be constant text of the
registered template, on an ICP-filed domain. So the SMS carries `<web address>/r` as constant text
(the stack's own web address: the web domain, else the CloudFront name) and the case's facts as
variables: the tracking number and the code.

The code is derived, not stored: an HMAC of the tracking number and the round under the rating-link
secret, reduced to 6 decimal digits (a verification-code variable may carry at most 6 digits). It is
valid for the round it was sent for only, so it expires with that round's rating window and works once
(a rated round waits no more). A million codes can be guessed at, so wrong codes count per number
(`GuessScope.RATING_CODE`, 5 lock it) as well as per client.

The SMS of earlier releases carried `/r/<tracking no>?t=<token>` (ten base64url characters of another
HMAC, 60 bits): those links keep working for the round they were sent for (`verify`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

TOKEN_CHARS = 10
#: The rating code: a verification-code variable carries at most 6 digits (Tencent Cloud SMS).
CODE_DIGITS = 6
#: The path of the rating page under the web address (the same for every case: constant SMS text).
RATING_PATH = "/r"
#: The SMS shows the web address without its scheme (phones link a bare domain, and 8 characters
#: decide whether the Chinese invitation fits one segment). The longest address it fits: a CloudFront
#: name (`d111111abcdef8.cloudfront.net`, 29 characters) and two to spare.
MAX_HOST_LENGTH = 31
#: The longest `RatingLinkBase`: `https://` and the longest host.
MAX_BASE_LENGTH = len("https://") + MAX_HOST_LENGTH

_CODE = re.compile(rf"^[0-9]{{{CODE_DIGITS}}}$")


def is_code(value: str) -> bool:
    """A rating code's shape (six ASCII digits), as opposed to an old link's token."""
    return bool(_CODE.match(value))


def display_address(base: str) -> str:
    """The rating address as the SMS shows it: the web address without scheme or trailing slash, `/r`."""
    return re.sub(r"^[a-z]+://", "", base.strip()).rstrip("/") + RATING_PATH


@dataclass(frozen=True)
class RatingLinks:
    secret: bytes
    base: str

    @property
    def address(self) -> str:
        """The constant rating address, as the SMS shows it (`12345.sz.gov.cn/r`)."""
        return display_address(self.base)

    def code(self, tracking_no: str, round_: int, reporter: str | None = None) -> str:
        """The 6-digit rating code of a case's round (keyed apart from the old links' token); `reporter`:
        the code of one of the case's other reporters (并单), so the code names who rates with it."""
        subject = f"code|{tracking_no}|{round_}" + (f"|{reporter}" if reporter is not None else "")
        digest = hmac.new(self.secret, subject.encode(), hashlib.sha256).digest()
        return str(int.from_bytes(digest[:8], "big") % 10**CODE_DIGITS).zfill(CODE_DIGITS)

    def verify_code(self, tracking_no: str, round_: int, code: str, reporter: str | None = None) -> bool:
        expected = self.code(tracking_no, round_, reporter).encode()
        return hmac.compare_digest(expected, code.encode("utf-8", "surrogatepass"))

    def token(self, tracking_no: str, round_: int) -> str:
        digest = hmac.new(self.secret, f"{tracking_no}|{round_}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:TOKEN_CHARS]

    def link(self, tracking_no: str, round_: int) -> str:
        """The per-case link of earlier releases (no longer sent: kept so tests can hold old SMS)."""
        return f"{self.base.rstrip('/')}/r/{tracking_no}?t={self.token(tracking_no, round_)}"

    def verify(self, tracking_no: str, round_: int, token: str) -> bool:
        # as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, not a mismatch)
        return hmac.compare_digest(self.token(tracking_no, round_).encode(), token.encode("utf-8", "surrogatepass"))

    def verify_proof(self, tracking_no: str, round_: int, proof: str) -> bool:
        """A rating code, or an old link's token, for this case's round."""
        if is_code(proof):
            return self.verify_code(tracking_no, round_, proof)
        return self.verify(tracking_no, round_, proof)
