"""Schemathesis hooks for Affianca (loaded with SCHEMATHESIS_HOOKS=hooks by tests/tests/schemathesis.rs).

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
