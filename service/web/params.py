"""Path parameters that name a database row by its integer id.

A plain `int` lets any size through, and a number past the id column's range makes the database driver raise (a
500). RowId refuses it at validation, so the portal answers with its 400 page before any query runs.
"""

from typing import Annotated

from fastapi import Path

LARGEST_ROW_ID = 2**31 - 1  # the ids are INTEGER columns: 32 bits on PostgreSQL; ids start at 1

RowId = Annotated[int, Path(ge=1, le=LARGEST_ROW_ID)]
