"""Query-string types shared by the read routes: what a hostile value cannot turn into a 500."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator

from catalog_service.timestamps import in_utc

# A time in UTC; one UTC cannot hold (year 9999 or 1 with an offset) is a 422.
QueryTime = Annotated[dt.datetime, AfterValidator(in_utc)]
