from tests.evidence.helpers import db  # noqa: F401  (the store fixture)
