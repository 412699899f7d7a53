"""Whatever bytes a manifest file holds, parsing answers located problems and never raises."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog_service.domain.catalog import compile_file
from tests.domain.support import application, context, dump

# Characters that make YAML interesting: structure, quoting, anchors, tags, documents.
YAML_ALPHABET = st.sampled_from([*"ab:-[]{},&*!|>'\"#%@`?~\n \t0.1", "---", "<<", "\u00e9"])
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(data: bytes) -> None:
    compiled = compile_file("apps/fuzz.yaml", data, context())
    lines = data.count(b"\n") + 2  # libyaml may point one past the last line
    for problem in compiled.problems:
        assert problem.path == "apps/fuzz.yaml"
        assert 1 <= problem.line <= lines, problem
        assert problem.column >= 1, problem
        assert problem.message


@FUZZ
@given(st.lists(YAML_ALPHABET, max_size=200).map("".join))
def test_yaml_like_text_never_raises(text: str) -> None:
    _check(text.encode())


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    _check(data)


@FUZZ
@given(
    st.integers(min_value=0, max_value=400),
    st.binary(min_size=1, max_size=8),
)
def test_a_valid_manifest_with_bytes_spliced_in_never_raises(offset: int, noise: bytes) -> None:
    text = dump(application())
    _check(text[:offset] + noise + text[offset:])


@FUZZ
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=6), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_any_yaml_value_in_the_spec_never_raises(value: object) -> None:
    document = application()
    document["spec"]["components"] = value
    _check(yaml.safe_dump(document).encode())
