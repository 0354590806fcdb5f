# moved to dssync._extract.files; kept for the update command until it is ported
from dssync._extract.files import read_bytes, shared_memo, table_from_bytes, table_from_file  # noqa: F401
