"""Template readability: no line of a Django template under templates/ is longer than 160 characters."""

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
MAX_LINE = 160


def long_lines() -> list[str]:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if len(line) > MAX_LINE:
                found.append(f"{path.relative_to(TEMPLATES.parent)}:{number}:{len(line)}")
    return found


def test_the_templates_are_there():
    assert any(TEMPLATES.rglob("*.html")), f"no template found under {TEMPLATES}"


def test_no_template_line_is_longer_than_160_characters():
    offenders = long_lines()
    report = "\n".join(offenders)
    assert not offenders, f"{len(offenders)} template line(s) over {MAX_LINE} characters (file:line:length):\n{report}"
