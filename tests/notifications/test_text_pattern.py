"""The "has some text" pattern published in OpenAPI must refuse every value the service strips to nothing.

Police clients validate with ECMA-262 regexes, whose \\s is narrower than Python's str.strip(). A text made
only of characters Python strips but the published pattern lets through would pass a client's validation
and then be refused by us: schemathesis found exactly that with a lone NEL (U+0085).
"""

import re
import sys

from service.notifications.schemas import HAS_TEXT

# \s as ECMA-262 defines it (WhiteSpace and LineTerminator).
ECMA_SPACE = r"[\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"


def test_every_character_python_strips_is_refused_by_the_published_pattern():
    as_clients_read_it = re.compile(HAS_TEXT.replace(r"\s", ECMA_SPACE[1:-1]))
    stripped = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]

    let_through = [f"U+{ord(character):04X}" for character in stripped if as_clients_read_it.search(character)]

    assert stripped, "Python strips some characters"
    assert let_through == []


def test_a_real_name_still_matches():
    assert re.search(HAS_TEXT, " Jayden ")
    assert re.search(HAS_TEXT, "\u0085Zoë\u0085")
