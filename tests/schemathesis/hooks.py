"""Schemathesis hooks for Affianca (loaded with SCHEMATHESIS_HOOKS=hooks by tests/tests/schemathesis.rs).

Path parameters drawn at random almost always name nothing (404), so half of the cases get the
demo data's real objects instead: Bergamo and Brescia, recent semesters, the first ids.

Uploads take raw bodies with the file's own media type; schemathesis cannot draw those from a
schema, so these strategies give it real files and hostile ones: a small valid PDF, a PDF whose
header lies, random bytes.
"""

from hypothesis import strategies as st

import schemathesis

VALID_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
    b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n109\n%%EOF\n"
)

files = st.one_of(
    st.just(VALID_PDF),
    st.just(b"%PDF-1.7\nnot really a pdf"),
    st.just(b"PK\x03\x04 a zip pretending"),
    st.binary(max_size=256),
)

schemathesis.openapi.media_type("application/pdf", files)
schemathesis.openapi.media_type("application/octet-stream", files)


# Objects that exist in the demo data (seed-demo): the comuni of Bergamo and Brescia, the
# province of Bergamo, semesters with data, the first rows of each table.
REAL = {
    "istat_code": st.sampled_from(["016024", "017029"]),
    "period": st.sampled_from(["2025S2", "2026S1", "2024S1"]),
    "province": st.just("BG"),
    "code": st.sampled_from(["building_planning", "VIA_PAUR", "BG"]),
    "id": st.integers(min_value=1, max_value=3),
    "attachment_id": st.integers(min_value=1, max_value=3),
    "user_id": st.integers(min_value=1, max_value=8),
}


@schemathesis.hook
def flatmap_path_parameters(ctx, path_parameters):
    if not path_parameters:
        return st.just(path_parameters)
    keys = [k for k in path_parameters if k in REAL]
    if not keys:
        return st.just(path_parameters)
    real = st.fixed_dictionaries({k: REAL[k] for k in keys}).map(
        lambda drawn: {**path_parameters, **drawn}
    )
    return st.one_of(st.just(path_parameters), real)
