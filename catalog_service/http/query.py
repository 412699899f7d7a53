"""Query-string types shared by the read routes: what a hostile value cannot turn into a 500."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from catalog_service.timestamps import in_utc

# A time in UTC; one UTC cannot hold (year 9999 or 1 with an offset) is a 422.
QueryTime = Annotated[dt.datetime, AfterValidator(in_utc)]

# A free-text filter compared with a column: what the column can hold (PostgreSQL's text holds
# no NUL: the driver raised, a 500), so a value that cannot match is a 422, not a query.
QueryText = Annotated[str, StringConstraints(max_length=255, pattern=r"^[^\x00]*$")]
