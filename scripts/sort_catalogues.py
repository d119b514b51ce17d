"""Put the language catalogues (web_client/i18n/*.json) in their one form: keys sorted, one a
line, UTF-8 as it is. tests/web_client/test_language_catalogue.py checks it."""

from __future__ import annotations

import json
from pathlib import Path

I18N = Path(__file__).resolve().parent.parent / "web_client" / "i18n"


def main() -> None:
    for path in sorted(I18N.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                        encoding="utf-8")


if __name__ == "__main__":
    main()
