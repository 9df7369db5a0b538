"""Which characters no text field may hold, for every route that reads text (pure).

A NUL ends a C string in whatever reads the text next (a spreadsheet, an SMS gateway, a log
pipeline); ESC starts a terminal sequence in a log viewer; C1 controls (U+0080..U+009F) are read as
ESC-like by some terminals. None belongs in a description or a note. So every C0 control is refused
except tab and newline, and carriage return only as part of CRLF (what a Windows client or a posted
HTML form sends for a line break); DEL and the C1 controls too. The JSON routes (`minyi.api.body_guard`)
and Open311's form fields (`minyi.open311.params`) refuse the same characters.
"""

from __future__ import annotations

import re

#: C0 controls but tab, newline and carriage return; a carriage return not starting CRLF; DEL and C1.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")
#: What a refusal says of the field at fault (a catalogue key).
CONTROL_CHARACTERS_PROBLEM = "error.control_characters"


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None
