"""Every exception class of the tree has its own row in the HTTP error table: a class added
without one would fall back on its base's status, or become a 500, unnoticed."""

from __future__ import annotations

import inspect

from catalog_service import errors
from catalog_service.http.errors import STATUS_CODES, status_for


def error_classes() -> list[type[errors.CatalogError]]:
    return [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.CatalogError) and cls.__module__ == errors.__name__
    ]


def test_every_error_class_has_exactly_one_row() -> None:
    rows = [kind for kind, _ in STATUS_CODES]
    missing = [cls.__name__ for cls in error_classes() if cls not in rows]
    assert not missing, f"add these to STATUS_CODES in catalog_service/http/errors.py: {missing}"
    assert len(rows) == len(set(rows)), "a class has two rows"


def test_a_subclass_row_comes_before_its_base_row_so_it_decides() -> None:
    for index, (kind, status) in enumerate(STATUS_CODES):
        for earlier, _ in STATUS_CODES[:index]:
            assert not issubclass(kind, earlier) or kind is earlier, (
                f"{kind.__name__} comes after its base {earlier.__name__}: its row never decides"
            )
        assert status_for(kind("x")) == status


def test_request_errors_are_4xx_and_the_docstring_tree_names_every_class() -> None:
    for kind, status in STATUS_CODES:
        if issubclass(kind, errors.RequestError):
            assert 400 <= status < 500, kind.__name__
    tree = errors.__doc__ or ""
    assert [cls.__name__ for cls in error_classes() if cls.__name__ not in tree] == []
